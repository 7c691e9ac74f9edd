// PS3.7 D.3.3.2: who we are on the wire and in File Meta Information.
// The class UID is a UUID-derived UID (PS3.5 B.2), fixed for dcmget.
export const IMPLEMENTATION_CLASS_UID = '2.25.145402107904096838710751895712184664065';
/** At most 16 characters (PS3.7 D.3.3.2.3); kept in step with package.json by a unit test. */
export const VERSION = '0.1.0';
export const IMPLEMENTATION_VERSION_NAME = `DCMGET_${VERSION}`;

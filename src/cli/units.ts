// One unit system for every byte count a person reads: the live line, the summary, the rate.
// Decimal units (1 MB = 10^6 bytes), as disks and networks count them, with one rounding rule.

/** 749.3 kB, 12.5 MB, 1.05 GB: kB and MB with one decimal, GB with two. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}

// Functions of src/ and their length, for test/unit/shape.test.ts: a small lexer that counts the
// braces of code only (not those in comments, strings, template literals' text or regular
// expressions), and a pattern for the heads of functions, methods and named arrow functions.
import fs from 'node:fs';
import path from 'node:path';

export const SRC = path.resolve(import.meta.dirname, '..', '..', 'src');

/**
 * Each line's brace depth after it, counting only the braces of code: a small lexer that skips
 * comments, strings, template literals (with their \${…} code counted) and regular expressions.
 */
export function depths(text: string): number[] {
  const out: number[] = [];
  let depth = 0;
  /** Open template literals: the depth at which each one's current \${ … } began, or -1 inside its text. */
  const templates: number[] = [];
  let prev = ';';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const inTemplateText = templates.length > 0 && templates.at(-1) === -1;
    if (c === '\n') { out.push(depth); if (!inTemplateText) prev = ';'; continue; }
    if (inTemplateText) {
      if (c === '\\') i++;
      else if (c === '`') { templates.pop(); prev = '"'; }
      else if (c === '$' && text[i + 1] === '{') { templates[templates.length - 1] = depth; depth++; i++; prev = '{'; }
      continue;
    }
    if (c === '/' && text[i + 1] === '/') { while (i + 1 < text.length && text[i + 1] !== '\n') i++; continue; }
    if (c === '/' && text[i + 1] === '*') { const end = text.indexOf('*/', i + 2); for (const ch of text.slice(i, end)) if (ch === '\n') out.push(depth); i = end + 1; continue; }
    if (c === "'" || c === '"') { i++; while (i < text.length && text[i] !== c) i += text[i] === '\\' ? 2 : 1; prev = '"'; continue; }
    if (c === '`') { templates.push(-1); continue; }
    if (c === '/' && '(,=:[!&|?{};'.includes(prev)) {
      let inClass = false;
      for (i++; i < text.length && (inClass || text[i] !== '/'); i++) {
        if (text[i] === '\\') i++;
        else if (text[i] === '[') inClass = true;
        else if (text[i] === ']') inClass = false;
      }
      prev = '"';
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (templates.length > 0 && templates.at(-1) === depth) { templates[templates.length - 1] = -1; continue; }
    }
    if (!/\s/.test(c)) prev = c;
  }
  out.push(depth);
  return out;
}

/** A line with its comments and strings blanked, for matching a function's head. */
function head(line: string): string {
  return line.replace(/\/\/.*$/, '').replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"/g, '""');
}

const HEAD = /^\s*(?:export\s+)?(?:async\s+)?(?:function\s*\*?\s*(\w+)|(?:(?:private|protected|public|static|readonly|get|set|async)\s+)*(\w+)\s*(?:<[^>]*>)?\([^;]*\)\s*(?::\s*[^={;]+)?\{\s*$|(?:const|let)\s+(\w+)\s*=\s*(?:async\s*)?(?:\([^)]*\)|\w+)\s*(?::\s*[^=]+)?=>\s*\{\s*$)/;
const KEYWORDS = new Set(['if', 'for', 'while', 'switch', 'catch', 'return', 'else', 'do', 'try', 'with']);

/** Functions (declarations, methods, arrow functions assigned to names) and their length in lines. */
export function functions(file: string): { name: string; lines: number }[] {
  const text = fs.readFileSync(path.join(SRC, file), 'utf8');
  const lines = text.split('\n');
  const after = depths(text);
  const out: { name: string; lines: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = HEAD.exec(head(lines[i]!));
    const name = m?.[1] ?? m?.[2] ?? m?.[3];
    if (!name || KEYWORDS.has(name)) continue;
    const before = i === 0 ? 0 : after[i - 1]!;
    const end = after.findIndex((d, j) => j > i && d <= before);
    if (end > i) out.push({ name, lines: end - i + 1 });
  }
  return out;
}


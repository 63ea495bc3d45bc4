import { statSync } from 'node:fs';

export interface ModeProblem {
  path: string;
  mode: string;
  reason: string;
}

export const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/** A file or directory readable or writable by group/others, or owned by someone else, is a problem. */
export function modeProblem(
  path: string,
  opts: { allowTraverse?: boolean; requireOwner?: boolean } = {},
): ModeProblem | undefined {
  let st;
  try {
    st = statSync(path);
  } catch {
    return undefined;
  }
  const mode = st.mode & 0o777;
  const loose = opts.allowTraverse ? mode & 0o066 : mode & 0o077;
  if (loose) return { path, mode: octal(mode), reason: `is accessible by group or others (mode ${octal(mode)})` };
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  if (opts.requireOwner && uid !== undefined && st.uid !== uid) {
    return { path, mode: octal(mode), reason: `is owned by uid ${st.uid}, not by the process user (uid ${uid})` };
  }
  return undefined;
}

// Splitting concatenated JSON objects at the top level without parsing them: grpc-gateway's
// streamed request bodies, and etcd's member lists, whose uint64 ids JSON.parse would round.

/**
 * The top-level objects of `body` (concatenated objects, or the elements of an array of
 * objects), as text. Throws on an unterminated object.
 */
export function splitJsonObjects(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') {
      if (depth++ === 0) start = i;
    } else if (ch === '}' && --depth === 0) out.push(body.slice(start, i + 1));
  }
  if (depth !== 0) throw new Error('unexpected EOF');
  return out;
}

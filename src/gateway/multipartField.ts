/** A text field of a multipart/form-data body: its value and where the value's bytes lie. */
export interface MultipartField {
  value: string;
  /** Byte offsets of the value in the body: [start, end). */
  start: number;
  end: number;
}

/** The boundary of a `multipart/form-data; boundary=…` content type, unquoted; undefined when absent. */
export function multipartBoundary(contentType: string): string | undefined {
  if (!/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const match = contentType.match(/;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i);
  return match?.[1] ?? match?.[2];
}

/**
 * Finds the first non-file part named `name` without copying the body, so that the body can pass
 * through byte for byte (or with only that value replaced, see `replaceBytes`).
 */
export function multipartField(body: Uint8Array, boundary: string, name: string): MultipartField | undefined {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  let pos = buf.indexOf(delimiter);
  while (pos !== -1) {
    const afterDelimiter = pos + delimiter.length;
    // `--boundary--` closes the body.
    if (buf[afterDelimiter] === 0x2d && buf[afterDelimiter + 1] === 0x2d) return undefined;
    const headersEnd = buf.indexOf('\r\n\r\n', afterDelimiter);
    if (headersEnd === -1) return undefined;
    const start = headersEnd + 4;
    const end = buf.indexOf(next, start);
    if (end === -1) return undefined;
    const headers = buf.toString('latin1', afterDelimiter, headersEnd);
    const disposition = headers.match(/content-disposition:[^\r\n]*/i)?.[0] ?? '';
    if (disposition.match(/\bname="([^"]*)"/i)?.[1] === name && !/\bfilename\*?=/i.test(disposition)) {
      return { value: buf.toString('utf8', start, end), start, end };
    }
    pos = end + 2;
  }
  return undefined;
}

/** `body` with the bytes [start, end) replaced by `text` (UTF-8). */
export function replaceBytes(body: Uint8Array, start: number, end: number, text: string): Uint8Array {
  return Buffer.concat([body.subarray(0, start), Buffer.from(text, 'utf8'), body.subarray(end)]);
}

/**
 * Splits decoded text into lines, stream-free: feed chunks, get the complete lines so far. Accepts CRLF, LF
 * and lone CR (old Mac and some mainframe exports), mixed in one file, and a CRLF torn between two chunks.
 * Holds at most one partial line, so memory stays bounded by the longest line.
 */
export class LineSplitter {
  private partial = '';
  /** The previous chunk ended with CR: a LF starting the next chunk belongs to that line break. */
  private pendingCr = false;

  constructor(private readonly maxLineLength: number, private readonly onTooLong: (length: number) => never) {}

  push(text: string): string[] {
    const lines: string[] = [];
    let from = 0;
    if (this.pendingCr && text.startsWith('\n')) from = 1;
    this.pendingCr = false;
    const breaks = /\r\n|\n|\r/g;
    breaks.lastIndex = from;
    for (let match = breaks.exec(text); match; match = breaks.exec(text)) {
      const line = this.partial + text.slice(from, match.index);
      this.partial = '';
      this.check(line.length);
      lines.push(line);
      from = match.index + match[0].length;
      if (match[0] === '\r' && from === text.length) this.pendingCr = true;
    }
    this.partial += text.slice(from);
    this.check(this.partial.length);
    return lines;
  }

  /** The last line, when the file does not end with a line break. */
  end(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest === '' ? [] : [rest];
  }

  private check(length: number): void {
    if (length > this.maxLineLength) this.onTooLong(length);
  }
}

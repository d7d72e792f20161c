/**
 * Whether an upload whose header parsed is cut short, judged from its structure alone (no
 * decoding), for the formats where that is cheap and certain. Formats without such a check
 * answer false and are left to the detector, which fails the task if it cannot decode.
 */
export function isTruncated (bytes: Buffer, format: string): boolean {
  switch (format) {
    case 'jpeg': {
      // The last scan (SOS, FF DA) must be followed by the end-of-image marker (FF D9). Inside
      // entropy-coded data every FF is stuffed (FF 00), so neither marker can occur by chance;
      // an EXIF thumbnail's own EOI sits before the main image's scans.
      const lastScan = bytes.lastIndexOf(Buffer.from([0xff, 0xda]))
      return lastScan < 0 || bytes.indexOf(Buffer.from([0xff, 0xd9]), lastScan) < 0
    }
    case 'png':
      return bytes.lastIndexOf('IEND') < 0
    case 'gif': {
      let end = bytes.length - 1
      while (end > 0 && bytes[end] === 0) end-- // tolerate zero padding after the trailer
      return bytes[end] !== 0x3b
    }
    case 'webp':
      // RIFF header: bytes 4..7 hold the size of everything after byte 8.
      return bytes.length < 12 || bytes.readUInt32LE(4) + 8 > bytes.length
    default:
      return false
  }
}

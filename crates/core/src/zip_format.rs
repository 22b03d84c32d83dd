//! The byte layout of a streamed ZIP archive (PKWARE APPNOTE 6.3.x): stored
//! (uncompressed) entries written front to back without seeking. A file's
//! CRC-32 is known only after its bytes went out, so file entries use a data
//! descriptor (flag bit 3); ZIP64 fields appear only where a size, an offset
//! or the entry count needs them. No I/O here: the service streams the bytes.

/// Flag bit 3: CRC and sizes follow the data in a data descriptor.
const FLAG_DESCRIPTOR: u16 = 0x0008;
/// Flag bit 11 (language encoding): the name is UTF-8.
const FLAG_UTF8: u16 = 0x0800;
const VERSION_PLAIN: u16 = 20;
const VERSION_ZIP64: u16 = 45;
const U32_MAX: u64 = 0xFFFF_FFFF;
/// MS-DOS directory attribute (external attributes, low byte).
const DOS_DIRECTORY: u32 = 0x10;

/// One entry's name and kind, fixed before its bytes are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    /// The name as stored (folders end with `/`).
    pub name: Vec<u8>,
    /// Sets the UTF-8 flag (bit 11); false for names in a legacy code page.
    pub utf8: bool,
    pub dir: bool,
    /// MS-DOS time and date (local header and central directory).
    pub dos_time: u16,
    pub dos_date: u16,
    /// The entry's data may reach 4 GiB: ZIP64 sizes in its local header
    /// and data descriptor. Decided from the size known in advance.
    pub zip64: bool,
}

/// An entry as the central directory records it, after its data went out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentralRecord {
    pub entry: ZipEntry,
    pub crc: u32,
    pub size: u64,
    /// Where the entry's local header starts.
    pub offset: u64,
}

impl ZipEntry {
    fn flags(&self) -> u16 {
        let utf8 = if self.utf8 { FLAG_UTF8 } else { 0 };
        // Folders have no data, so their (zero) CRC and sizes are known up front.
        if self.dir {
            utf8
        } else {
            utf8 | FLAG_DESCRIPTOR
        }
    }

    fn version(&self) -> u16 {
        if self.zip64 {
            VERSION_ZIP64
        } else {
            VERSION_PLAIN
        }
    }
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn u64le(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A length that must fit 16 bits (names are at most a few KiB).
fn len16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// The field as written, or the 0xFFFFFFFF marker that sends readers to ZIP64.
fn u32_or_marker(v: u64) -> u32 {
    u32::try_from(v)
        .ok()
        .filter(|x| *x != u32::MAX)
        .unwrap_or(u32::MAX)
}

/// The local file header that starts an entry.
pub fn local_header(e: &ZipEntry) -> Vec<u8> {
    let extra_len = if e.zip64 { 20 } else { 0 };
    let mut out = Vec::with_capacity(30 + e.name.len() + extra_len);
    u32le(&mut out, 0x0403_4b50);
    u16le(&mut out, e.version());
    u16le(&mut out, e.flags());
    u16le(&mut out, 0); // stored
    u16le(&mut out, e.dos_time);
    u16le(&mut out, e.dos_date);
    u32le(&mut out, 0); // CRC: in the data descriptor
    let size_field = if e.zip64 { u32::MAX } else { 0 };
    u32le(&mut out, size_field);
    u32le(&mut out, size_field);
    u16le(&mut out, len16(e.name.len()));
    u16le(&mut out, len16(extra_len));
    out.extend_from_slice(&e.name);
    if e.zip64 {
        u16le(&mut out, 0x0001);
        u16le(&mut out, 16);
        u64le(&mut out, 0);
        u64le(&mut out, 0);
    }
    out
}

/// The data descriptor after a file's bytes (none for folders).
pub fn data_descriptor(e: &ZipEntry, crc: u32, size: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    u32le(&mut out, 0x0807_4b50);
    u32le(&mut out, crc);
    if e.zip64 {
        u64le(&mut out, size);
        u64le(&mut out, size);
    } else {
        let s = u32::try_from(size).unwrap_or(u32::MAX);
        u32le(&mut out, s);
        u32le(&mut out, s);
    }
    out
}

/// True if a file entry of `size` bytes needs ZIP64 sizes.
pub fn needs_zip64(size: u64) -> bool {
    size >= U32_MAX
}

/// One central directory header.
pub fn central_header(r: &CentralRecord) -> Vec<u8> {
    let e = &r.entry;
    let big_size = r.size >= U32_MAX || e.zip64;
    let big_offset = r.offset >= U32_MAX;
    let mut extra = Vec::new();
    if big_size || big_offset {
        let mut fields = Vec::new();
        if big_size {
            u64le(&mut fields, r.size);
            u64le(&mut fields, r.size);
        }
        if big_offset {
            u64le(&mut fields, r.offset);
        }
        u16le(&mut extra, 0x0001);
        u16le(&mut extra, len16(fields.len()));
        extra.extend_from_slice(&fields);
    }
    let version = if big_size || big_offset {
        VERSION_ZIP64
    } else {
        e.version()
    };
    let mut out = Vec::with_capacity(46 + e.name.len() + extra.len());
    u32le(&mut out, 0x0201_4b50);
    u16le(&mut out, version); // made by: MS-DOS host, so the attributes are DOS ones
    u16le(&mut out, version);
    u16le(&mut out, e.flags());
    u16le(&mut out, 0);
    u16le(&mut out, e.dos_time);
    u16le(&mut out, e.dos_date);
    u32le(&mut out, r.crc);
    let size = if big_size {
        u32::MAX
    } else {
        u32_or_marker(r.size)
    };
    u32le(&mut out, size);
    u32le(&mut out, size);
    u16le(&mut out, len16(e.name.len()));
    u16le(&mut out, len16(extra.len()));
    u16le(&mut out, 0); // comment
    u16le(&mut out, 0); // disk
    u16le(&mut out, 0); // internal attributes
    u32le(&mut out, if e.dir { DOS_DIRECTORY } else { 0 });
    u32le(&mut out, u32_or_marker(r.offset));
    out.extend_from_slice(&e.name);
    out.extend_from_slice(&extra);
    out
}

/// The records that end the archive: ZIP64 end record and locator when the
/// entry count, the directory's size or its offset need them, then the
/// classic end record.
pub fn end_records(entries: u64, cd_offset: u64, cd_size: u64) -> Vec<u8> {
    let zip64 = entries >= 0xFFFF || cd_offset >= U32_MAX || cd_size >= U32_MAX;
    let mut out = Vec::with_capacity(98);
    if zip64 {
        let z64_offset = cd_offset + cd_size;
        u32le(&mut out, 0x0606_4b50);
        u64le(&mut out, 44);
        u16le(&mut out, VERSION_ZIP64);
        u16le(&mut out, VERSION_ZIP64);
        u32le(&mut out, 0);
        u32le(&mut out, 0);
        u64le(&mut out, entries);
        u64le(&mut out, entries);
        u64le(&mut out, cd_size);
        u64le(&mut out, cd_offset);
        u32le(&mut out, 0x0706_4b50);
        u32le(&mut out, 0);
        u64le(&mut out, z64_offset);
        u32le(&mut out, 1);
    }
    let count = if zip64 {
        u16::MAX
    } else {
        u16::try_from(entries).unwrap_or(u16::MAX)
    };
    u32le(&mut out, 0x0605_4b50);
    u16le(&mut out, 0);
    u16le(&mut out, 0);
    u16le(&mut out, count);
    u16le(&mut out, count);
    u32le(
        &mut out,
        if zip64 {
            u32::MAX
        } else {
            u32_or_marker(cd_size)
        },
    );
    u32le(
        &mut out,
        if zip64 {
            u32::MAX
        } else {
            u32_or_marker(cd_offset)
        },
    );
    u16le(&mut out, 0);
    out
}

/// MS-DOS (time, date) of a UTC timestamp in ms; 1980-01-01 for earlier ones.
pub fn dos_datetime(ts_ms: i64) -> (u16, u16) {
    let secs = ts_ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    if y < 1980 {
        return (0, (1 << 5) | 1);
    }
    let y = y.min(2107);
    let time = ((sod / 3600) << 11) | (((sod % 3600) / 60) << 5) | ((sod % 60) / 2);
    let date = ((y - 1980) << 9) | (m << 5) | d;
    (
        u16::try_from(time).unwrap_or(0),
        u16::try_from(date).unwrap_or(0),
    )
}

/// (year, month, day) of days since 1970-01-01 (Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, dir: bool, zip64: bool) -> ZipEntry {
        ZipEntry {
            name: name.as_bytes().to_vec(),
            utf8: true,
            dir,
            dos_time: 0,
            dos_date: 0x21,
            zip64,
        }
    }

    #[test]
    fn dos_dates() {
        // 2026-11-27 16:30:10 UTC
        let (t, d) = dos_datetime(1_795_797_010_000);
        assert_eq!(d >> 9, 2026 - 1980);
        assert_eq!((d >> 5) & 0xF, 11);
        assert_eq!(d & 0x1F, 27);
        assert_eq!(t >> 11, 16);
        assert_eq!((t >> 5) & 0x3F, 30);
        assert_eq!(t & 0x1F, 5);
        assert_eq!(dos_datetime(0), (0, 0x21));
    }

    #[test]
    fn headers_carry_flags_and_zip64_fields() {
        let f = entry("図面.pdf", false, false);
        let h = local_header(&f);
        assert_eq!(&h[0..4], b"PK\x03\x04");
        assert_eq!(
            u16::from_le_bytes([h[6], h[7]]),
            FLAG_UTF8 | FLAG_DESCRIPTOR
        );
        assert_eq!(h.len(), 30 + "図面.pdf".len());
        let big = entry("big.bin", false, true);
        let h = local_header(&big);
        assert_eq!(h.len(), 30 + 7 + 20);
        assert_eq!(data_descriptor(&big, 1, 5 << 30).len(), 24);
        assert_eq!(data_descriptor(&f, 1, 5).len(), 16);
        let c = central_header(&CentralRecord {
            entry: f.clone(),
            crc: 7,
            size: 5,
            offset: 5 << 30,
        });
        // One ZIP64 field: the offset.
        assert_eq!(c.len(), 46 + f.name.len() + 4 + 8);
        let d = entry("dir/", true, false);
        assert_eq!(
            u16::from_le_bytes([local_header(&d)[6], local_header(&d)[7]]),
            FLAG_UTF8
        );
    }

    #[test]
    fn end_records_switch_to_zip64() {
        assert_eq!(end_records(3, 100, 50).len(), 22);
        assert_eq!(end_records(70_000, 100, 50).len(), 22 + 56 + 20);
        assert_eq!(end_records(3, 5 << 30, 50).len(), 22 + 56 + 20);
    }
}

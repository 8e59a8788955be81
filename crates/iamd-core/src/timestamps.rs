//! Timestamps: iamd stores Unix seconds; the wire shapes carry `OffsetDateTime`.

use time::OffsetDateTime;

/// The instant `secs` seconds after the Unix epoch (the epoch itself for a value `time` cannot
/// represent, which stored data never holds).
pub fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

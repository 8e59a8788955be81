//! Request timestamps: the SigV4 "ISO-8601 basic format" (`YYYYMMDDTHHMMSSZ`, `X-Amz-Date`) and the HTTP
//! `Date` header fallback (IMF-fixdate, RFC 9110 §5.6.7). Pure arithmetic, no clock.
//!
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html> ("The date must be in
//! ISO 8601 basic format … YYYYMMDD'T'HHMMSS'Z'"; `Date` may be used instead of `X-Amz-Date`).

/// Length of `YYYYMMDDTHHMMSSZ`.
pub(crate) const AMZ_DATE_LEN: usize = 16;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

fn digits(s: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

fn to_unix(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
    // Leap second 60 is not accepted: AWS timestamps never carry one and the scope date check needs a real time.
    if !(1..=12).contains(&mo)
        || d == 0
        || d > days_in_month(i64::from(y), mo)
        || h > 23
        || mi > 59
        || s > 59
    {
        return None;
    }
    Some(days_from_civil(i64::from(y), mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + s))
}

/// Parses `YYYYMMDDTHHMMSSZ` into unix seconds.
pub(crate) fn parse_amz_date(s: &[u8]) -> Option<i64> {
    let [
        y0,
        y1,
        y2,
        y3,
        m0,
        m1,
        d0,
        d1,
        b'T',
        h0,
        h1,
        i0,
        i1,
        s0,
        s1,
        b'Z',
    ] = *<&[u8; AMZ_DATE_LEN]>::try_from(s).ok()?
    else {
        return None;
    };
    to_unix(
        digits(&[y0, y1, y2, y3])?,
        digits(&[m0, m1])?,
        digits(&[d0, d1])?,
        digits(&[h0, h1])?,
        digits(&[i0, i1])?,
        digits(&[s0, s1])?,
    )
}

/// Parses an IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT` into unix seconds.
fn parse_imf_fixdate(s: &[u8]) -> Option<i64> {
    // "Sun, 06 Nov 1994 08:49:37 GMT" is exactly 29 bytes.
    let [
        w0,
        w1,
        w2,
        b',',
        b' ',
        d0,
        d1,
        b' ',
        m0,
        m1,
        m2,
        b' ',
        y0,
        y1,
        y2,
        y3,
        b' ',
        h0,
        h1,
        b':',
        i0,
        i1,
        b':',
        s0,
        s1,
        b' ',
        b'G',
        b'M',
        b'T',
    ] = *<&[u8; 29]>::try_from(s).ok()?
    else {
        return None;
    };
    const DAYS: [[u8; 3]; 7] = [
        *b"Mon", *b"Tue", *b"Wed", *b"Thu", *b"Fri", *b"Sat", *b"Sun",
    ];
    if !DAYS.contains(&[w0, w1, w2]) {
        return None;
    }
    const MONTHS: [[u8; 3]; 12] = [
        *b"Jan", *b"Feb", *b"Mar", *b"Apr", *b"May", *b"Jun", *b"Jul", *b"Aug", *b"Sep", *b"Oct",
        *b"Nov", *b"Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == [m0, m1, m2])? as u32 + 1;
    to_unix(
        digits(&[y0, y1, y2, y3])?,
        month,
        digits(&[d0, d1])?,
        digits(&[h0, h1])?,
        digits(&[i0, i1])?,
        digits(&[s0, s1])?,
    )
}

/// Parses a `Date` header: the ISO-8601 basic format (what SigV4 clients send) or IMF-fixdate.
pub(crate) fn parse_http_date(s: &[u8]) -> Option<i64> {
    parse_amz_date(s).or_else(|| parse_imf_fixdate(s))
}

/// Formats unix seconds as `YYYYMMDDTHHMMSSZ` (years outside 0..=9999 are clamped, which can only happen for
/// absurd `now` values passed by the caller; request timestamps always come from 4-digit years).
pub(crate) fn format_amz_date(t: i64) -> [u8; AMZ_DATE_LEN] {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let y = y.clamp(0, 9999) as u32;
    let (h, mi, s) = (
        (secs / 3600) as u32,
        ((secs / 60) % 60) as u32,
        (secs % 60) as u32,
    );
    let mut out = *b"00000000T000000Z";
    let put = |out: &mut [u8; AMZ_DATE_LEN], at: usize, width: usize, mut v: u32| {
        for b in out.iter_mut().skip(at).take(width).rev() {
            *b = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(&mut out, 0, 4, y);
    put(&mut out, 4, 2, m);
    put(&mut out, 6, 2, d);
    put(&mut out, 9, 2, h);
    put(&mut out, 11, 2, mi);
    put(&mut out, 13, 2, s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_date_round_trip() {
        let t = parse_amz_date(b"20150830T123600Z").unwrap();
        assert_eq!(t, 1_440_938_160);
        assert_eq!(&format_amz_date(t), b"20150830T123600Z");
        for t in [
            0i64,
            951_782_400,
            1_709_164_800,
            4_102_444_799,
            253_402_300_799,
        ] {
            assert_eq!(parse_amz_date(&format_amz_date(t)), Some(t), "{t}");
        }
    }

    #[test]
    fn amz_date_rejects_bad_fields() {
        for bad in [
            &b"20150830T123600"[..],
            b"20150830 123600Z",
            b"2015083OT123600Z",
            b"20151330T123600Z",
            b"20150230T123600Z",
            b"20150229T123600Z",
            b"20150830T243600Z",
            b"20150830T126000Z",
            b"20150830T123660Z",
            b"+0150830T123600Z",
        ] {
            assert_eq!(
                parse_amz_date(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(parse_amz_date(b"20160229T000000Z").is_some());
    }

    #[test]
    fn imf_fixdate() {
        assert_eq!(
            parse_http_date(b"Sun, 30 Aug 2015 12:36:00 GMT"),
            parse_amz_date(b"20150830T123600Z")
        );
        assert_eq!(parse_http_date(b"Sun, 30 Aug 2015 12:36:00 UTC"), None);
        assert_eq!(parse_http_date(b"Xyz, 30 Aug 2015 12:36:00 GMT"), None);
        assert_eq!(parse_http_date(b"20150830T123600Z"), Some(1_440_938_160));
    }
}

//! The moments the model carries (`created_at`, `expires_at`, ...).
//!
//! On the server a moment is chrono's `DateTime<Utc>`. In the browser it is [`Moment`]: the
//! same RFC 3339 text on the wire, read and written by the few lines below instead of chrono's
//! parser and strftime formatter, which cost every page's WASM about 30 KB of code. The page
//! shows a moment through `crate::ui::format_time`, which reads the same fields in both builds,
//! so the server's HTML and the browser's agree to the character.

use std::fmt::{self, Write as _};

#[cfg(feature = "ssr")]
pub type Timestamp = chrono::DateTime<chrono::Utc>;
#[cfg(not(feature = "ssr"))]
pub type Timestamp = Moment;

/// Now, as the build's [`Timestamp`].
pub fn now() -> Timestamp {
    #[cfg(feature = "ssr")]
    return chrono::Utc::now();
    #[cfg(not(feature = "ssr"))]
    return Moment::now();
}

/// A moment in UTC: seconds since 1970-01-01T00:00:00Z and the nanoseconds past them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Moment {
    secs: i64,
    nanos: u32,
}

const SECS_PER_DAY: i64 = 86_400;

impl Moment {
    pub const UNIX_EPOCH: Moment = Moment { secs: 0, nanos: 0 };

    pub fn now() -> Moment {
        #[cfg(target_arch = "wasm32")]
        let millis = web_sys::js_sys::Date::now() as i64;
        #[cfg(not(target_arch = "wasm32"))]
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Moment {
            secs: millis.div_euclid(1000),
            nanos: (millis.rem_euclid(1000) * 1_000_000) as u32,
        }
    }

    fn civil(&self) -> (i64, u32, u32) {
        civil_from_days(self.secs.div_euclid(SECS_PER_DAY))
    }

    fn second_of_day(&self) -> u32 {
        self.secs.rem_euclid(SECS_PER_DAY) as u32
    }

    // The names and meanings of chrono's `Datelike` and `Timelike`, so the UI reads both
    // builds' moments with the same code.
    pub fn year(&self) -> i32 {
        self.civil().0 as i32
    }

    pub fn month(&self) -> u32 {
        self.civil().1
    }

    pub fn day(&self) -> u32 {
        self.civil().2
    }

    pub fn hour(&self) -> u32 {
        self.second_of_day() / 3600
    }

    pub fn minute(&self) -> u32 {
        self.second_of_day() / 60 % 60
    }

    /// As chrono's `to_rfc3339`: "2026-01-08T14:30:00.123+00:00".
    pub fn to_rfc3339(&self) -> String {
        let mut text = self.naive_text();
        text.push_str("+00:00");
        text
    }

    /// Date and time as chrono writes a naive one: fraction digits only as many as needed.
    fn naive_text(&self) -> String {
        let (year, month, day) = self.civil();
        let second = self.second_of_day();
        let mut text = String::with_capacity(35);
        if (0..=9999).contains(&year) {
            let _ = write!(text, "{year:04}");
        } else {
            let _ = write!(text, "{year:+05}");
        }
        let _ = write!(
            text,
            "-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            second / 3600,
            second / 60 % 60,
            second % 60
        );
        let nanos = self.nanos;
        if nanos == 0 {
        } else if nanos.is_multiple_of(1_000_000) {
            let _ = write!(text, ".{:03}", nanos / 1_000_000);
        } else if nanos.is_multiple_of(1_000) {
            let _ = write!(text, ".{:06}", nanos / 1_000);
        } else {
            let _ = write!(text, ".{nanos:09}");
        }
        text
    }

    /// Reads RFC 3339 ("2026-01-08T14:30:00.5Z", any offset, `T` or a space between).
    pub fn parse(text: &str) -> Option<Moment> {
        let b = text.as_bytes();
        let digits = |from: usize, len: usize| -> Option<i64> {
            let part = b.get(from..from + len)?;
            part.iter().try_fold(0i64, |n, c| {
                c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
            })
        };
        let at = |i: usize, c: u8| b.get(i) == Some(&c);
        let year = digits(0, 4)?;
        let month = digits(5, 2)?;
        let day = digits(8, 2)?;
        let hour = digits(11, 2)?;
        let minute = digits(14, 2)?;
        let second = digits(17, 2)?;
        let separators = at(4, b'-')
            && at(7, b'-')
            && matches!(b.get(10), Some(b'T' | b't' | b' '))
            && at(13, b':')
            && at(16, b':');
        if !separators
            || !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month as u32)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return None;
        }
        let mut pos = 19;
        let mut nanos = 0u32;
        if at(pos, b'.') {
            pos += 1;
            let start = pos;
            while b.get(pos).is_some_and(u8::is_ascii_digit) {
                if pos - start < 9 {
                    nanos = nanos * 10 + u32::from(b[pos] - b'0');
                }
                pos += 1;
            }
            let read = pos - start;
            if read == 0 {
                return None;
            }
            for _ in read..9 {
                nanos *= 10;
            }
        }
        let offset = match b.get(pos)? {
            b'Z' | b'z' if pos + 1 == b.len() => 0,
            sign @ (b'+' | b'-') if pos + 6 == b.len() && at(pos + 3, b':') => {
                let hours = digits(pos + 1, 2)?;
                let minutes = digits(pos + 4, 2)?;
                if hours > 23 || minutes > 59 {
                    return None;
                }
                let offset = hours * 3600 + minutes * 60;
                if *sign == b'-' {
                    -offset
                } else {
                    offset
                }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month as u32, day as u32);
        let secs = days * SECS_PER_DAY + hour * 3600 + minute * 60 + second - offset;
        Some(Moment { secs, nanos })
    }
}

/// As chrono's `Serialize`: UTC with `Z`.
impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.naive_text())?;
        f.write_str("Z")
    }
}

impl serde::Serialize for Moment {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Moment {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Moment, D::Error> {
        // A `String` costs no new code: every page deserializes strings already.
        let text = String::deserialize(deserializer)?;
        Moment::parse(&text).ok_or_else(|| serde::de::Error::custom("invalid timestamp"))
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Days since 1970-01-01 and back: Howard Hinnant's algorithms for the proleptic Gregorian
// calendar, on 400-year eras that start on the 1st of March.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};

    use super::Moment;

    fn moments() -> Vec<DateTime<Utc>> {
        let mut all = vec![
            DateTime::UNIX_EPOCH,
            Utc.with_ymd_and_hms(2000, 2, 29, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(1969, 12, 31, 0, 0, 1).unwrap(),
            Utc.with_ymd_and_hms(2100, 3, 1, 12, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(1600, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
        ];
        // Every 37 hours and some nanoseconds, across four centuries, with each kind of
        // fraction chrono writes (none, milli, micro, nano).
        let mut t = Utc
            .with_ymd_and_hms(1890, 1, 1, 0, 0, 0)
            .unwrap()
            .timestamp();
        let mut i = 0i64;
        while t < 4_200_000_000 * 3 {
            let nanos = match i % 4 {
                0 => 0,
                1 => 123_000_000,
                2 => 456_789_000,
                _ => 987_654_321,
            };
            all.push(DateTime::from_timestamp(t, nanos).unwrap());
            t += 37 * 3600 + 61;
            i += 1;
        }
        all
    }

    #[test]
    fn reads_and_writes_what_chrono_writes() {
        for t in moments() {
            let wire = serde_json::to_string(&t).unwrap();
            let moment: Moment = serde_json::from_str(&wire).expect(&wire);
            assert_eq!(serde_json::to_string(&moment).unwrap(), wire);
            assert_eq!(moment.to_rfc3339(), t.to_rfc3339(), "{wire}");
            let fields = (moment.year(), moment.month(), moment.day());
            assert_eq!(fields, (t.year(), t.month(), t.day()), "{wire}");
            assert_eq!((moment.hour(), moment.minute()), (t.hour(), t.minute()));
            let back: DateTime<Utc> = serde_json::from_str(&wire).unwrap();
            assert_eq!(back, t);
        }
    }

    #[test]
    fn reads_offsets_and_orders_like_chrono() {
        for text in [
            "2026-01-08T14:30:00+03:00",
            "2026-01-08T14:30:00.5-07:30",
            "2026-01-08 14:30:00.123456789012z",
            "1970-01-01T00:00:00Z",
        ] {
            let ours = Moment::parse(text).expect(text);
            let theirs = DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc);
            assert_eq!(ours.to_rfc3339(), theirs.to_rfc3339(), "{text}");
        }
        let earlier = Moment::parse("2026-01-08T14:30:00.999Z").unwrap();
        let later = Moment::parse("2026-01-08T14:30:01Z").unwrap();
        assert!(earlier < later);
        assert!(Moment::UNIX_EPOCH < earlier);
    }

    #[test]
    fn refuses_what_is_not_a_moment() {
        for text in [
            "",
            "2026-01-08",
            "2026-13-08T14:30:00Z",
            "2026-02-29T14:30:00Z",
            "2026-01-08T24:00:00Z",
            "2026-01-08T14:30:00",
            "2026-01-08T14:30:00.Z",
            "2026-01-08T14:30:00Zjunk",
            "2026-01-08T14:30:00+0300",
            "yesterday at noon, roughly",
        ] {
            assert_eq!(Moment::parse(text), None, "{text}");
            let json = serde_json::to_string(text).unwrap();
            assert!(serde_json::from_str::<Moment>(&json).is_err(), "{text}");
        }
    }

    #[test]
    fn now_is_now() {
        let ours = Moment::now();
        let theirs = Utc::now();
        let ours_secs = Moment::parse(&ours.to_string()).unwrap();
        assert!(ours_secs == ours);
        let gap = theirs.timestamp()
            - DateTime::parse_from_rfc3339(&ours.to_rfc3339())
                .unwrap()
                .timestamp();
        assert!((0..=2).contains(&gap), "{gap}");
    }
}

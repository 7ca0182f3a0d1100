//! RFC 3339 timestamps (UTC, microseconds) straight from [`SystemTime`].
//!
//! Written by hand so the log line needs no date crate and no allocation.

use std::time::{SystemTime, UNIX_EPOCH};

/// Appends `t` as `2026-11-26T13:02:51.123456Z`. Times before 1970 are written
/// as the epoch: a clock that far off is a bug elsewhere, not a reason to fail.
pub(super) fn push_rfc3339_micros(out: &mut String, t: SystemTime) {
    let since_epoch = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs();
    let (year, month, day) = civil_from_days(secs / 86_400);
    let secs_of_day = secs % 86_400;

    push_decimal(out, year, 4);
    out.push('-');
    push_decimal(out, month, 2);
    out.push('-');
    push_decimal(out, day, 2);
    out.push('T');
    push_decimal(out, secs_of_day / 3600, 2);
    out.push(':');
    push_decimal(out, secs_of_day / 60 % 60, 2);
    out.push(':');
    push_decimal(out, secs_of_day % 60, 2);
    out.push('.');
    push_decimal(out, u64::from(since_epoch.subsec_micros()), 6);
    out.push('Z');
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar; Howard Hinnant's `civil_from_days`, for non-negative days.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // Shift the epoch to 0000-03-01.
    let era = z / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // March = 0.
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Appends `value` in decimal, zero-padded to at least `width` digits.
pub(super) fn push_decimal(out: &mut String, value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut n = value;
    let mut len = 0;
    while n > 0 || len == 0 {
        digits[len] = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
    }
    for _ in len..width {
        out.push('0');
    }
    for &d in digits[..len].iter().rev() {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn format(secs: u64, micros: u32) -> String {
        let mut out = String::new();
        let t = UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros.into());
        push_rfc3339_micros(&mut out, t);
        out
    }

    #[test]
    fn formats_known_instants() {
        // Expected values from `date -u -d … +%s`.
        assert_eq!(format(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            format(1_795_698_171, 123_456),
            "2026-11-26T13:02:51.123456Z"
        );
        assert_eq!(format(951_868_799, 7), "2000-02-29T23:59:59.000007Z");
        assert_eq!(format(946_684_799, 999_999), "1999-12-31T23:59:59.999999Z");
        assert_eq!(format(1_709_208_000, 0), "2024-02-29T12:00:00.000000Z");
        assert_eq!(format(4_107_542_400, 0), "2100-03-01T00:00:00.000000Z");
    }

    fn days_in_month(year: u64, month: u64) -> u64 {
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    #[test]
    fn every_day_follows_the_previous_one() {
        // Walk 1970..2200 day by day: the calendar never skips or repeats a date.
        let mut previous = civil_from_days(0);
        assert_eq!(previous, (1970, 1, 1));
        for days in 1..84_000 {
            let (y, m, d) = civil_from_days(days);
            let (py, pm, pd) = previous;
            let next_day = (y, m, d) == (py, pm, pd + 1);
            let next_month = (y, m, d) == (py, pm + 1, 1);
            let next_year = (y, m, d) == (py + 1, 1, 1) && (pm, pd) == (12, 31);
            assert!(
                next_day || next_month || next_year,
                "{previous:?} -> {:?}",
                (y, m, d)
            );
            if d == 1 {
                assert_eq!(pd, days_in_month(py, pm), "{previous:?} ends the month");
            }
            previous = (y, m, d);
        }
    }

    #[test]
    fn before_epoch_is_clamped() {
        let mut out = String::new();
        push_rfc3339_micros(&mut out, UNIX_EPOCH - Duration::from_secs(5));
        assert_eq!(out, "1970-01-01T00:00:00.000000Z");
    }
}

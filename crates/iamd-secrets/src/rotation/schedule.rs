//! `RotationRules`: AWS's rotation schedules (`AutomaticallyAfterDays`, `ScheduleExpression` with
//! `rate()` and `cron()`, the `Duration` window), validated as AWS validates them, and the next
//! rotation window they give. Pure: no I/O, no clock, time passed in (Unix seconds, UTC).
//!
//! Sources (AWS documentation unless noted):
//! - `API_RotationRulesType`: `AutomaticallyAfterDays` 1–1000; `Duration` 2–3 characters, "the
//!   length of the rotation window in hours, for example 3h"; `ScheduleExpression` 1–256
//!   characters of `[0-9A-Za-z\(\)#\?\*\-\/, ]+`; days and expression "not both"; "If you don't
//!   specify a Duration, for a ScheduleExpression in hours, the window automatically closes after
//!   one hour. For a ScheduleExpression in days, the window automatically closes at the end of
//!   the UTC day"; "The window must not extend into the next rotation window or the next UTC day."
//! - User guide `rotate-secrets_schedule` ("Rotation schedules"): all times UTC; "You can rotate a
//!   secret as often as every four hours within a rotation window as small as one hour"; windows
//!   "always start on the hour"; `rate(Value Unit)` with Value a positive integer and Unit
//!   `hour|hours|day|days`, "The maximum rotation period is 999 days"; a day rate's window starts
//!   at midnight; `cron(Minutes Hours Day-of-month Month Day-of-week Year)` with Minutes `0`,
//!   Year `*`, Hours 0–23 with `/` ("`2/10` means every 10 hours beginning at 2:00 AM"),
//!   Day-of-month 1–31 with `, - * ? / L` and `<DAY>L` ("`SUNL` means the last Sunday of the
//!   month"), Month 1–12 or JAN–DEC with `, - * /`, Day-of-week 1–7 or SUN–SAT with
//!   `# , - * ? / L` (`TUE#3`; "Use L to specify the last day of the week"), `?` in exactly one
//!   of the two day fields; "A cron expression that includes increments of hours resets each
//!   day. For example, cron(0 4/12 * * ? *) means 4:00 AM, 4:00 PM, and then the next day
//!   4:00 AM, 4:00 PM."
//! - `AutomaticallyAfterDays`: "Secrets Manager schedules the date by adding the rotation interval
//!   (number of days) to the actual date of the last rotation. The service chooses the hour within
//!   that 24-hour date window" (RotateSecret docs, older edition; Zac Charles, "How Secrets
//!   Manager Schedules Automatic Rotations", which observed it): the window is the whole UTC day
//!   N days after the last rotation's date.
//!
//! iamd's readings where AWS says nothing (each pinned by a test that says so):
//! - `rate(N hours)` is a true interval: windows start every N hours counted from midnight UTC
//!   of 1970-01-01, so for the N that divide 24 (4, 6, 8, 12) they start at midnight each day, as
//!   the docs say; N is 4–23 (the Turbot Guardrails policy for this field lists "Hours: 4 to 23,
//!   Days: 1 to 999"); `Duration` ≤ N.
//! - `rate(N days)` behaves as `AutomaticallyAfterDays` N (the window is the UTC day N days after
//!   the last rotation) and `Duration` may accompany either.
//! - A `cron()` "represents a schedule in hours" when its Hours field names more than one hour.
//! - Names (`JAN`, `sat`) are case-insensitive; reversed ranges (`FRI-MON`), `W`, `LW` and `L-n`
//!   are refused; a `cron()` that never occurs (`30 2`, February 30) is refused.

use serde::{Deserialize, Serialize};

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
/// "You can rotate a secret as often as every four hours."
const MIN_INTERVAL_HOURS: u32 = 4;
/// Days in the 400-year Gregorian cycle: every calendar pattern repeats with this period.
const CYCLE_DAYS: i64 = 146_097;

/// [rec terraform-provider-aws#33329 and #31915, `InvalidParameterException`]
pub const MSG_BOTH: &str =
    "You cannot specify both rotation frequency and schedule expression together.";
/// iamd's choice: AWS's text is not recorded; moto and LocalStack answer these words.
pub const MSG_DAYS_RANGE: &str = "RotationRules.AutomaticallyAfterDays must be within 1-1000.";
/// iamd's choice (not recorded).
pub const MSG_NO_SCHEDULE: &str =
    "RotationRules must specify either AutomaticallyAfterDays or ScheduleExpression.";
/// iamd's choice (not recorded).
pub const MSG_DURATION: &str =
    "The rotation window Duration must be a number of hours from 1h to 24h, for example 3h.";
/// iamd's choice (not recorded); the words are the documentation's.
pub const MSG_WINDOW: &str =
    "The rotation window must not extend into the next rotation window or the next UTC day.";
/// iamd's choice (not recorded); the words are the documentation's.
pub const MSG_TOO_FREQUENT: &str =
    "The rotation schedule is too frequent: you can rotate a secret as often as every four hours.";
/// iamd's choice (not recorded).
pub const MSG_EXPRESSION: &str = "The ScheduleExpression must be a rate() or cron() expression of 1 to 256 characters from 0-9 A-Z a-z ( ) # ? * - / , and space.";

/// `RotationRules` as a request gives them.
#[derive(Debug, Clone, Copy, Default)]
pub struct RulesInput<'a> {
    pub automatically_after_days: Option<i64>,
    pub schedule_expression: Option<&'a str>,
    pub duration: Option<&'a str>,
}

/// Validated rotation rules, stored with the secret and echoed in DescribeSecret/ListSecrets.
/// The fields hold what the request gave, verbatim; [`Schedule::describe`] derives what AWS shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub automatically_after_days: Option<i64>,
    pub schedule_expression: Option<String>,
    pub duration: Option<String>,
}

/// Validates `input` as AWS does: `Err` holds the message of the `InvalidParameterException`.
pub fn parse(input: &RulesInput<'_>) -> Result<Schedule, String> {
    let kind = match (input.automatically_after_days, input.schedule_expression) {
        (Some(_), Some(_)) => return Err(MSG_BOTH.into()),
        (Some(d), None) if (1..=1000).contains(&d) => Kind::Days(d),
        (Some(_), None) => return Err(MSG_DAYS_RANGE.into()),
        (None, Some(e)) => parse_expression(e)?,
        (None, None) => return Err(MSG_NO_SCHEDULE.into()),
    };
    let duration = input.duration.map(parse_duration).transpose()?;
    validate(&kind, duration)?;
    Ok(Schedule {
        automatically_after_days: input.automatically_after_days,
        schedule_expression: input.schedule_expression.map(str::to_owned),
        duration: input.duration.map(str::to_owned),
    })
}

impl Schedule {
    /// `RotationRules` as DescribeSecret and ListSecrets show them:
    /// (`AutomaticallyAfterDays`, `ScheduleExpression`, `Duration`).
    ///
    /// AWS shows `AutomaticallyAfterDays` "calculated from the rotation schedule" next to a
    /// `rate()` expression: recorded `{"AutomaticallyAfterDays": 1, "ScheduleExpression":
    /// "rate(10 hours)"}` (terraform-provider-aws#31915) and `{"AutomaticallyAfterDays": 1,
    /// "ScheduleExpression": "rate(1 days)"}` (a DescribeSecret quoted in a public rotation
    /// function); so `rate(N days)` shows N and `rate(N hours)` (N < 24) shows 1. With
    /// `AutomaticallyAfterDays` alone AWS shows only it (LocalStack's AWS-recorded snapshot
    /// `{"AutomaticallyAfterDays": 1}`), and `Duration` only when it was given. For `cron()` the
    /// calculated value is not recorded anywhere: iamd shows none.
    pub fn describe(&self) -> (Option<i64>, Option<&str>, Option<&str>) {
        let days = match (
            self.automatically_after_days,
            self.schedule_expression.as_deref(),
        ) {
            (Some(d), _) => Some(d),
            (None, Some(e)) => match parse_rate(e) {
                Ok(Kind::Days(d)) => Some(d),
                Ok(Kind::Hours(h)) => Some(((i64::from(h) + 23) / 24).max(1)),
                _ => None,
            },
            (None, None) => None,
        };
        (
            days,
            self.schedule_expression.as_deref(),
            self.duration.as_deref(),
        )
    }

    /// The first rotation window that starts after `after` (the last rotation, or when rotation
    /// was configured): (start, end), Unix seconds, start < end. Rotation is due at any time in
    /// the window; `NextRotationDate` is reported from it.
    pub fn next_window(&self, after: i64) -> (i64, i64) {
        let duration = self
            .duration
            .as_deref()
            .and_then(|d| parse_duration(d).ok());
        let kind = match (
            self.automatically_after_days,
            self.schedule_expression.as_deref(),
        ) {
            (Some(d), _) => Some(Kind::Days(d.clamp(1, 1000))),
            (None, Some(e)) => parse_expression(e).ok(),
            (None, None) => None,
        };
        // A stored schedule was validated when it was stored; should one not parse any more,
        // rotating daily is the safe reading.
        kind.unwrap_or(Kind::Days(1)).next_window(after, duration)
    }
}

/// A schedule, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `AutomaticallyAfterDays` N or `rate(N days)`: the UTC day N days after the last rotation.
    Days(i64),
    /// `rate(N hours)`.
    Hours(u32),
    Cron(Cron),
}

impl Kind {
    fn next_window(&self, after: i64, duration: Option<u32>) -> (i64, i64) {
        let hours = |h: u32| i64::from(h).saturating_mul(HOUR);
        match self {
            Kind::Days(n) => {
                let start = after.div_euclid(DAY).saturating_add(*n).saturating_mul(DAY);
                (start, start.saturating_add(hours(duration.unwrap_or(24))))
            }
            Kind::Hours(n) => {
                let period = hours((*n).max(1));
                let start = after
                    .div_euclid(period)
                    .saturating_add(1)
                    .saturating_mul(period);
                (start, start.saturating_add(hours(duration.unwrap_or(1))))
            }
            Kind::Cron(c) => c.next_window(after, duration),
        }
    }
}

/// `Duration`: `[0-9]+h`, 2–3 characters, 1 to 24 hours.
fn parse_duration(d: &str) -> Result<u32, String> {
    let hours = d
        .strip_suffix('h')
        .filter(|n| (1..=2).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|h| (1..=24).contains(h));
    hours.ok_or_else(|| MSG_DURATION.to_owned())
}

fn parse_expression(e: &str) -> Result<Kind, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "()#?*-/, ".contains(c);
    if e.is_empty() || e.chars().count() > 256 || !e.chars().all(allowed) {
        return Err(MSG_EXPRESSION.into());
    }
    if e.starts_with("rate(") {
        parse_rate(e)
    } else if let Some(body) = e.strip_prefix("cron(").and_then(|b| b.strip_suffix(')')) {
        Cron::parse(body).map(Kind::Cron)
    } else {
        Err(MSG_EXPRESSION.into())
    }
}

/// `rate(Value Unit)`.
fn parse_rate(e: &str) -> Result<Kind, String> {
    const MSG: &str = "Invalid rate() expression: use rate(Value Unit) where Value is a positive integer and Unit is hour, hours, day or days.";
    let body = e
        .strip_prefix("rate(")
        .and_then(|b| b.strip_suffix(')'))
        .ok_or(MSG)?;
    let mut words = body.split_whitespace();
    let (Some(value), Some(unit), None) = (words.next(), words.next(), words.next()) else {
        return Err(MSG.into());
    };
    let value = number(value).filter(|v| *v >= 1).ok_or(MSG)?;
    match unit {
        "hour" | "hours" if value < MIN_INTERVAL_HOURS => Err(MSG_TOO_FREQUENT.into()),
        "hour" | "hours" if value > 23 => Err(
            "Invalid rate() expression: a rate in hours must be from 4 to 23 hours; use days for longer intervals."
                .into(),
        ),
        "hour" | "hours" => Ok(Kind::Hours(value)),
        "day" | "days" if value > 999 => {
            Err("Invalid rate() expression: the maximum rotation period is 999 days.".into())
        }
        "day" | "days" => Ok(Kind::Days(i64::from(value))),
        _ => Err(MSG.into()),
    }
}

/// A decimal number of at most 9 digits.
fn number(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Checks the frequency and the window of a parsed schedule.
fn validate(kind: &Kind, duration: Option<u32>) -> Result<(), String> {
    match kind {
        // Windows start at midnight: any Duration up to 24h ends by the end of the UTC day.
        Kind::Days(_) => Ok(()),
        // "For a rotation schedule in hours, confirm that the rotation window is less than or
        // equal to the number of hours between rotations."
        Kind::Hours(n) => match duration {
            Some(d) if d > *n => Err(MSG_WINDOW.into()),
            _ => Ok(()),
        },
        Kind::Cron(c) => c.validate(duration),
    }
}

/// A `cron()` expression: the hours it fires at and the days it fires on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cron {
    /// Bit h set: fires at h:00 (0–23).
    hours: u64,
    /// Bit m set: fires in month m (1–12).
    months: u64,
    days: DaySpec,
}

/// Which of the two day fields the expression uses (the other one is `?`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum DaySpec {
    Month(DomSpec),
    Week(DowSpec),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct DomSpec {
    /// Bit d set: day d of the month (1–31).
    days: u64,
    /// `L`: the last day of the month.
    last: bool,
    /// `<DAY>L`: bit w set: the last weekday w (1 = Sunday … 7 = Saturday) of the month.
    last_weekdays: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct DowSpec {
    /// Bit w set: every weekday w (1 = Sunday … 7 = Saturday).
    weekdays: u64,
    /// `<DAY>#n`: bit (w - 1) * 5 + (n - 1) set: the n-th weekday w of the month (n 1–5).
    nth: u64,
    /// `<DAY>L`: bit w set: the last weekday w of the month.
    last_weekdays: u64,
}

/// A calendar day as the day fields see it.
struct Date {
    month: u32,
    day: u32,
    /// 1 = Sunday … 7 = Saturday (cron's numbering).
    weekday: u32,
    month_len: u32,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn cron_err(detail: &str) -> String {
    format!("Invalid cron() expression: {detail}")
}

fn bit(v: u32) -> u64 {
    1u64.checked_shl(v).unwrap_or(0)
}

fn has(mask: u64, v: u32) -> bool {
    mask & bit(v) != 0
}

impl Cron {
    fn parse(body: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = body.split_whitespace().collect();
        let [minutes, hours, dom, month, dow, year] = fields.as_slice() else {
            return Err(cron_err(
                "it must have six fields: Minutes Hours Day-of-month Month Day-of-week Year.",
            ));
        };
        if *minutes != "0" {
            return Err(cron_err(
                "the Minutes field must be 0: rotation windows start on the hour.",
            ));
        }
        if *year != "*" {
            return Err(cron_err("the Year field must be *."));
        }
        let hours = values(hours, "Hours", 0, 23, &[])?;
        let months = values(month, "Month", 1, 12, &MONTHS)?;
        let days = match (*dom == "?", *dow == "?") {
            (false, true) => DaySpec::Month(parse_dom(dom)?),
            (true, false) => DaySpec::Week(parse_dow(dow)?),
            _ => {
                return Err(cron_err(
                    "use ? in exactly one of the Day-of-month and Day-of-week fields.",
                ));
            }
        };
        Ok(Cron {
            hours,
            months,
            days,
        })
    }

    /// The hours it fires at, ascending.
    fn hour_list(&self) -> impl Iterator<Item = u32> + '_ {
        (0..24).filter(|h| has(self.hours, *h))
    }

    fn matches(&self, date: &Date) -> bool {
        if !has(self.months, date.month) {
            return false;
        }
        let last_week = date.day + 7 > date.month_len;
        match &self.days {
            DaySpec::Month(m) => {
                has(m.days, date.day)
                    || (m.last && date.day == date.month_len)
                    || (last_week && has(m.last_weekdays, date.weekday))
            }
            DaySpec::Week(w) => {
                let n = (date.day - 1) / 7 + 1;
                has(w.weekdays, date.weekday)
                    || has(w.nth, (date.weekday - 1) * 5 + (n - 1))
                    || (last_week && has(w.last_weekdays, date.weekday))
            }
        }
    }

    fn matches_day(&self, day: i64) -> bool {
        self.matches(&date(day))
    }

    /// The 4-hour minimum, that it ever fires, and that the window fits.
    fn validate(&self, duration: Option<u32>) -> Result<(), String> {
        let hours: Vec<u32> = self.hour_list().collect();
        let (Some(first), Some(last)) = (hours.first().copied(), hours.last().copied()) else {
            return Err(cron_err("the Hours field names no hour."));
        };
        // Within a day: the smallest gap between two firing hours (24 when it fires once).
        let gap = hours
            .iter()
            .zip(hours.iter().skip(1))
            .map(|(a, b)| b - a)
            .min()
            .unwrap_or(24);
        if gap < MIN_INTERVAL_HOURS {
            return Err(MSG_TOO_FREQUENT.into());
        }
        // Across midnight: only if two consecutive days can both fire.
        let wrap = 24 - last + first;
        let need_consecutive = wrap < MIN_INTERVAL_HOURS;
        let (mut any, mut consecutive, mut previous) = (false, false, false);
        for day in 0..=CYCLE_DAYS {
            let fires = self.matches_day(day);
            any |= fires;
            consecutive |= fires && previous;
            previous = fires;
            if any && (consecutive || !need_consecutive) {
                break;
            }
        }
        if !any {
            return Err(cron_err("the schedule never occurs."));
        }
        if need_consecutive && consecutive {
            return Err(MSG_TOO_FREQUENT.into());
        }
        if let Some(d) = duration {
            // Not into the next UTC day; for a schedule in hours, not into the next window.
            if last + d > 24 || (hours.len() > 1 && d > gap) {
                return Err(MSG_WINDOW.into());
            }
        }
        Ok(())
    }

    fn next_window(&self, after: i64, duration: Option<u32>) -> (i64, i64) {
        let in_hours = self.hour_list().nth(1).is_some();
        let first_day = after.div_euclid(DAY);
        let mut day = first_day;
        while day <= first_day.saturating_add(CYCLE_DAYS) {
            if self.matches_day(day) {
                let midnight = day.saturating_mul(DAY);
                for h in self.hour_list() {
                    let start = midnight.saturating_add(i64::from(h) * HOUR);
                    if start > after {
                        let end = match duration {
                            Some(d) => start.saturating_add(i64::from(d) * HOUR),
                            // "For a cron expression that represents a schedule in hours, the
                            // default rotation window closes after one hour … in days … at the
                            // end of the day."
                            None if in_hours => start.saturating_add(HOUR),
                            None => midnight.saturating_add(DAY),
                        };
                        return (start, end);
                    }
                }
            }
            day = day.saturating_add(1);
        }
        // Unreachable for a validated expression (it fires in every 400-year cycle).
        Kind::Days(1).next_window(after, duration)
    }
}

/// One comma-separated field of plain values: `*`, `n`, `a-b`, `a/s`, `/s`, `*/s`, `a-b/s`,
/// numbers from `min` to `max` or `names` (the i-th name is `min + i`).
fn values(field: &str, what: &str, min: u32, max: u32, names: &[&str]) -> Result<u64, String> {
    let mut mask = 0;
    for item in field.split(',') {
        mask |= value_item(item, what, min, max, names)?;
    }
    Ok(mask)
}

fn value_item(item: &str, what: &str, min: u32, max: u32, names: &[&str]) -> Result<u64, String> {
    let bad = || cron_err(&format!("invalid {what} value `{item}`."));
    let one = |s: &str| -> Result<u32, String> {
        let v = number(s).or_else(|| {
            names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(s))
                .and_then(|i| u32::try_from(i).ok())
                .map(|i| i + min)
        });
        v.filter(|v| (min..=max).contains(v)).ok_or_else(bad)
    };
    let range = |s: &str| -> Result<(u32, u32), String> {
        match s {
            "*" | "" => Ok((min, max)),
            _ => match s.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (one(a)?, one(b)?);
                    if a > b { Err(bad()) } else { Ok((a, b)) }
                }
                None => Ok((one(s)?, one(s)?)),
            },
        }
    };
    let (start, end, step) = match item.split_once('/') {
        Some((base, step)) => {
            let step = number(step).filter(|s| *s >= 1).ok_or_else(bad)?;
            let (a, b) = range(base)?;
            // `a/s` runs from a to the end of the field.
            let b = if base.contains('-') { b } else { max };
            (a, b, step)
        }
        None if item.is_empty() => return Err(bad()),
        None => {
            let (a, b) = range(item)?;
            (a, b, 1)
        }
    };
    let mut mask = 0;
    let mut v = start;
    while v <= end {
        mask |= bit(v);
        v = v.saturating_add(step);
    }
    Ok(mask)
}

/// A weekday: 1–7 or SUN–SAT.
fn weekday(s: &str) -> Option<u32> {
    number(s).filter(|v| (1..=7).contains(v)).or_else(|| {
        WEEKDAYS
            .iter()
            .position(|n| n.eq_ignore_ascii_case(s))
            .and_then(|i| u32::try_from(i).ok())
            .map(|i| i + 1)
    })
}

/// Day-of-month: values 1–31 and `, - * /`, `L`, `<DAY>L`.
fn parse_dom(field: &str) -> Result<DomSpec, String> {
    let mut spec = DomSpec::default();
    for item in field.split(',') {
        if item.eq_ignore_ascii_case("L") {
            spec.last = true;
        } else if let Some(w) = item
            .strip_suffix(['L', 'l'])
            .filter(|w| !w.is_empty() && !w.bytes().all(|b| b.is_ascii_digit()))
        {
            let w = weekday(w)
                .ok_or_else(|| cron_err(&format!("invalid Day-of-month value `{item}`.")))?;
            spec.last_weekdays |= bit(w);
        } else {
            spec.days |= value_item(item, "Day-of-month", 1, 31, &[])?;
        }
    }
    Ok(spec)
}

/// Day-of-week: values 1–7 or SUN–SAT and `, - * /`, `L`, `<DAY>L`, `<DAY>#n`.
fn parse_dow(field: &str) -> Result<DowSpec, String> {
    let mut spec = DowSpec::default();
    for item in field.split(',') {
        let bad = || cron_err(&format!("invalid Day-of-week value `{item}`."));
        if item.eq_ignore_ascii_case("L") {
            // "Use L to specify the last day of the week": Saturday.
            spec.weekdays |= bit(7);
        } else if let Some((w, n)) = item.split_once('#') {
            let w = weekday(w).ok_or_else(bad)?;
            let n = number(n).filter(|n| (1..=5).contains(n)).ok_or_else(bad)?;
            spec.nth |= bit((w - 1) * 5 + (n - 1));
        } else if let Some(w) = item.strip_suffix(['L', 'l']).filter(|w| !w.is_empty()) {
            spec.last_weekdays |= bit(weekday(w).ok_or_else(bad)?);
        } else {
            spec.weekdays |= value_item(item, "Day-of-week", 1, 7, &WEEKDAYS)?;
        }
    }
    Ok(spec)
}

/// The calendar date of a day number (days since 1970-01-01), proleptic Gregorian.
fn date(day: i64) -> Date {
    // Howard Hinnant's civil_from_days.
    let z = day.saturating_add(719_468);
    let era = z.div_euclid(CYCLE_DAYS);
    let doe = z.rem_euclid(CYCLE_DAYS);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe.saturating_add(era.saturating_mul(400)) + i64::from(m <= 2);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_len = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let to_u32 = |v: i64| u32::try_from(v).unwrap_or(0);
    Date {
        month: to_u32(m),
        day: to_u32(d),
        // 1970-01-01 was a Thursday (5 in cron's numbering).
        weekday: to_u32((day.rem_euclid(7) + 4) % 7 + 1),
        month_len,
    }
}

#[cfg(test)]
#[expect(
    clippy::indexing_slicing,
    reason = "test code: the indices are those of the windows and schedules the tests build"
)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    /// A UTC instant written as a date, as Unix seconds (the `time` crate is the oracle).
    macro_rules! at {
        ($($t:tt)*) => {
            datetime!($($t)* UTC).unix_timestamp()
        };
    }

    fn expr(e: &str) -> Result<Schedule, String> {
        parse(&RulesInput {
            schedule_expression: Some(e),
            ..Default::default()
        })
    }

    fn expr_window(e: &str, d: &str) -> Result<Schedule, String> {
        parse(&RulesInput {
            schedule_expression: Some(e),
            duration: Some(d),
            ..Default::default()
        })
    }

    fn days(n: i64) -> Result<Schedule, String> {
        parse(&RulesInput {
            automatically_after_days: Some(n),
            ..Default::default()
        })
    }

    /// The first `n` windows after `after`, each found from the previous window's start.
    fn windows(s: &Schedule, after: i64, n: usize) -> Vec<(i64, i64)> {
        let mut out = Vec::new();
        let mut t = after;
        for _ in 0..n {
            let w = s.next_window(t);
            out.push(w);
            t = w.0;
        }
        out
    }

    /// 2025-01-01 00:30 UTC, a Wednesday: the fixed "now" of the examples.
    const NOW: i64 = 1_735_691_400;

    #[test]
    fn now_is_what_it_says() {
        assert_eq!(NOW, at!(2025-01-01 00:30));
    }

    fn check(e: &str, expected: &[(i64, i64)]) {
        let s = expr(e).unwrap_or_else(|m| panic!("{e}: {m}"));
        assert_eq!(windows(&s, NOW, expected.len()), expected, "{e}");
    }

    // Every example of AWS's "Rotation schedules" page (rotate-secrets_schedule), with the
    // windows it gives from NOW.

    #[test]
    fn doc_example_every_eight_hours_from_midnight() {
        check(
            "cron(0 /8 * * ? *)",
            &[
                (at!(2025-01-01 08:00), at!(2025-01-01 09:00)),
                (at!(2025-01-01 16:00), at!(2025-01-01 17:00)),
                (at!(2025-01-02 00:00), at!(2025-01-02 01:00)),
            ],
        );
    }

    #[test]
    fn doc_example_every_eight_hours_from_eight() {
        check(
            "cron(0 8/8 * * ? *)",
            &[
                (at!(2025-01-01 08:00), at!(2025-01-01 09:00)),
                (at!(2025-01-01 16:00), at!(2025-01-01 17:00)),
                (at!(2025-01-02 08:00), at!(2025-01-02 09:00)),
            ],
        );
    }

    #[test]
    fn doc_example_every_ten_hours_resets_each_day() {
        // "The rotation windows will start at 2:00, 12:00, and 22:00, and then the next day at
        // 2:00, 12:00, and 22:00."
        check(
            "cron(0 2/10 * * ? *)",
            &[
                (at!(2025-01-01 02:00), at!(2025-01-01 03:00)),
                (at!(2025-01-01 12:00), at!(2025-01-01 13:00)),
                (at!(2025-01-01 22:00), at!(2025-01-01 23:00)),
                (at!(2025-01-02 02:00), at!(2025-01-02 03:00)),
            ],
        );
    }

    #[test]
    fn doc_example_four_and_sixteen() {
        // "cron(0 4/12 * * ? *) means 4:00 AM, 4:00 PM, and then the next day 4:00 AM, 4:00 PM."
        check(
            "cron(0 4/12 * * ? *)",
            &[
                (at!(2025-01-01 04:00), at!(2025-01-01 05:00)),
                (at!(2025-01-01 16:00), at!(2025-01-01 17:00)),
                (at!(2025-01-02 04:00), at!(2025-01-02 05:00)),
                (at!(2025-01-02 16:00), at!(2025-01-02 17:00)),
            ],
        );
    }

    #[test]
    fn doc_example_every_day_at_ten() {
        // A schedule in days: the window closes at the end of the day.
        check(
            "cron(0 10 * * ? *)",
            &[
                (at!(2025-01-01 10:00), at!(2025-01-02 00:00)),
                (at!(2025-01-02 10:00), at!(2025-01-03 00:00)),
            ],
        );
    }

    #[test]
    fn doc_example_every_saturday_at_six_pm() {
        check(
            "cron(0 18 ? * SAT *)",
            &[
                (at!(2025-01-04 18:00), at!(2025-01-05 00:00)),
                (at!(2025-01-11 18:00), at!(2025-01-12 00:00)),
            ],
        );
    }

    #[test]
    fn doc_example_first_day_of_every_month() {
        check(
            "cron(0 8 1 * ? *)",
            &[
                (at!(2025-01-01 08:00), at!(2025-01-02 00:00)),
                (at!(2025-02-01 08:00), at!(2025-02-02 00:00)),
                (at!(2025-03-01 08:00), at!(2025-03-02 00:00)),
            ],
        );
    }

    #[test]
    fn doc_example_every_three_months_first_sunday() {
        check(
            "cron(0 1 ? 1/3 SUN#1 *)",
            &[
                (at!(2025-01-05 01:00), at!(2025-01-06 00:00)),
                (at!(2025-04-06 01:00), at!(2025-04-07 00:00)),
                (at!(2025-07-06 01:00), at!(2025-07-07 00:00)),
                (at!(2025-10-05 01:00), at!(2025-10-06 00:00)),
            ],
        );
    }

    #[test]
    fn doc_example_last_day_of_every_month() {
        check(
            "cron(0 17 L * ? *)",
            &[
                (at!(2025-01-31 17:00), at!(2025-02-01 00:00)),
                (at!(2025-02-28 17:00), at!(2025-03-01 00:00)),
                (at!(2025-03-31 17:00), at!(2025-04-01 00:00)),
                (at!(2025-04-30 17:00), at!(2025-05-01 00:00)),
            ],
        );
    }

    #[test]
    fn doc_example_monday_through_friday() {
        check(
            "cron(0 8 ? * MON-FRI *)",
            &[
                (at!(2025-01-01 08:00), at!(2025-01-02 00:00)),
                (at!(2025-01-02 08:00), at!(2025-01-03 00:00)),
                (at!(2025-01-03 08:00), at!(2025-01-04 00:00)),
                (at!(2025-01-06 08:00), at!(2025-01-07 00:00)),
            ],
        );
    }

    #[test]
    fn doc_example_first_and_fifteenth() {
        check(
            "cron(0 16 1,15 * ? *)",
            &[
                (at!(2025-01-01 16:00), at!(2025-01-02 00:00)),
                (at!(2025-01-15 16:00), at!(2025-01-16 00:00)),
                (at!(2025-02-01 16:00), at!(2025-02-02 00:00)),
            ],
        );
    }

    #[test]
    fn doc_example_first_sunday_at_midnight() {
        check(
            "cron(0 0 ? * SUN#1 *)",
            &[
                (at!(2025-01-05 00:00), at!(2025-01-06 00:00)),
                (at!(2025-02-02 00:00), at!(2025-02-03 00:00)),
            ],
        );
    }

    #[test]
    fn doc_example_every_eleven_months_first_monday() {
        // "Starting in January, every 11 months on the first Monday at midnight": January and
        // December.
        check(
            "cron(0 0 ? 1/11 2#1 *)",
            &[
                (at!(2025-01-06 00:00), at!(2025-01-07 00:00)),
                (at!(2025-12-01 00:00), at!(2025-12-02 00:00)),
                (at!(2026-01-05 00:00), at!(2026-01-06 00:00)),
            ],
        );
    }

    #[test]
    fn doc_example_of_an_older_edition_with_both_day_fields_is_refused() {
        // The 2022 edition of the page listed cron(0 1 * 1/3 SUN *) for "every three months on
        // Sunday"; later editions replaced it by cron(0 1 ? 1/3 SUN#1 *), in line with the rule
        // that one day field must be `?`.
        let m = expr("cron(0 1 * 1/3 SUN *)").unwrap_err();
        assert!(
            m.contains("exactly one of the Day-of-month and Day-of-week"),
            "{m}"
        );
    }

    #[test]
    fn doc_rate_examples() {
        // rate(4 hours): every four hours from midnight, one-hour windows.
        check(
            "rate(4 hours)",
            &[
                (at!(2025-01-01 04:00), at!(2025-01-01 05:00)),
                (at!(2025-01-01 08:00), at!(2025-01-01 09:00)),
            ],
        );
        // rate(1 day), rate(10 days), rate(8 days): the whole UTC day N days after.
        check(
            "rate(1 day)",
            &[
                (at!(2025-01-02 00:00), at!(2025-01-03 00:00)),
                (at!(2025-01-03 00:00), at!(2025-01-04 00:00)),
            ],
        );
        check(
            "rate(10 days)",
            &[
                (at!(2025-01-11 00:00), at!(2025-01-12 00:00)),
                (at!(2025-01-21 00:00), at!(2025-01-22 00:00)),
            ],
        );
        check(
            "rate(8 days)",
            &[(at!(2025-01-09 00:00), at!(2025-01-10 00:00))],
        );
    }

    #[test]
    fn automatically_after_days_is_the_whole_day_n_days_after_the_last_rotation() {
        // Rotated 2019-04-25 17:43 with 1 day: next rotation on 2019-04-26, any hour (Zac
        // Charles's observation; RotateSecret docs, older edition).
        let s = days(1).unwrap();
        assert_eq!(
            s.next_window(at!(2019-04-25 17:43)),
            (at!(2019-04-26 00:00), at!(2019-04-27 00:00))
        );
        let s = days(30).unwrap();
        assert_eq!(
            s.next_window(NOW),
            (at!(2025-01-31 00:00), at!(2025-02-01 00:00))
        );
        // At midnight exactly, the day counted from is that day.
        assert_eq!(
            s.next_window(at!(2025-01-01 00:00)),
            (at!(2025-01-31 00:00), at!(2025-02-01 00:00))
        );
        let s = days(1000).unwrap();
        assert_eq!(s.next_window(NOW).0, at!(2027-09-28 00:00));
    }

    #[test]
    fn a_duration_shortens_the_window() {
        let s = expr_window("rate(10 days)", "3h").unwrap();
        assert_eq!(
            s.next_window(NOW),
            (at!(2025-01-11 00:00), at!(2025-01-11 03:00))
        );
        let s = expr_window("cron(0 10 * * ? *)", "2h").unwrap();
        assert_eq!(
            s.next_window(NOW),
            (at!(2025-01-01 10:00), at!(2025-01-01 12:00))
        );
        let s = expr_window("rate(6 hours)", "6h").unwrap();
        assert_eq!(
            s.next_window(NOW),
            (at!(2025-01-01 06:00), at!(2025-01-01 12:00))
        );
        // iamd's choice: Duration also accompanies AutomaticallyAfterDays (a window from midnight).
        let s = parse(&RulesInput {
            automatically_after_days: Some(2),
            duration: Some("4h"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            s.next_window(NOW),
            (at!(2025-01-03 00:00), at!(2025-01-03 04:00))
        );
    }

    #[test]
    fn duration_twenty_four_hours_is_the_edge() {
        // "confirm that the start hour plus the window duration is less than or equal to 24".
        assert!(expr_window("rate(1 day)", "24h").is_ok());
        assert!(expr_window("cron(0 0 * * ? *)", "24h").is_ok());
        assert_eq!(
            expr_window("cron(0 1 * * ? *)", "24h").unwrap_err(),
            MSG_WINDOW
        );
        assert!(expr_window("cron(0 1 * * ? *)", "23h").is_ok());
        assert!(expr_window("cron(0 23 * * ? *)", "1h").is_ok());
        assert_eq!(
            expr_window("cron(0 23 * * ? *)", "2h").unwrap_err(),
            MSG_WINDOW
        );
        // A schedule in hours: not into the next window, nor the next day.
        assert!(expr_window("cron(0 4/12 * * ? *)", "8h").is_ok());
        assert_eq!(
            expr_window("cron(0 4/12 * * ? *)", "9h").unwrap_err(),
            MSG_WINDOW
        );
        assert!(expr_window("cron(0 0/12 * * ? *)", "12h").is_ok());
        assert_eq!(
            expr_window("cron(0 0/6 * * ? *)", "7h").unwrap_err(),
            MSG_WINDOW
        );
        // rate in hours: the window at most the interval (user guide).
        assert!(expr_window("rate(4 hours)", "4h").is_ok());
        assert_eq!(expr_window("rate(4 hours)", "5h").unwrap_err(), MSG_WINDOW);
    }

    #[test]
    fn the_four_hour_minimum() {
        assert!(expr("rate(4 hours)").is_ok());
        assert_eq!(expr("rate(3 hours)").unwrap_err(), MSG_TOO_FREQUENT);
        assert_eq!(expr("rate(1 hour)").unwrap_err(), MSG_TOO_FREQUENT);
        assert!(expr("cron(0 0/4 * * ? *)").is_ok());
        assert_eq!(expr("cron(0 0/3 * * ? *)").unwrap_err(), MSG_TOO_FREQUENT);
        assert_eq!(expr("cron(0 * * * ? *)").unwrap_err(), MSG_TOO_FREQUENT);
        assert_eq!(expr("cron(0 8,10 * * ? *)").unwrap_err(), MSG_TOO_FREQUENT);
        // Across midnight: 22:00 then 01:00 the next day is 3 hours...
        assert_eq!(expr("cron(0 1,22 * * ? *)").unwrap_err(), MSG_TOO_FREQUENT);
        // ...unless two consecutive days never both fire: the last day of the month and ...
        assert!(expr("cron(0 1,22 L * ? *)").is_ok());
        assert!(expr("cron(0 1,22 ? * MON,WED *)").is_ok());
        assert_eq!(
            expr("cron(0 1,22 ? * MON,TUE *)").unwrap_err(),
            MSG_TOO_FREQUENT
        );
        // 22:00 then 02:00: exactly four hours.
        assert!(expr("cron(0 2,22 * * ? *)").is_ok());
    }

    #[test]
    fn rate_bounds() {
        assert!(expr("rate(23 hours)").is_ok());
        // iamd's choice (Turbot Guardrails lists "Hours: 4 to 23"): longer rates use days.
        assert!(
            expr("rate(24 hours)")
                .unwrap_err()
                .contains("4 to 23 hours")
        );
        assert!(expr("rate(999 days)").is_ok());
        // "The maximum rotation period is 999 days."
        assert!(expr("rate(1000 days)").unwrap_err().contains("999 days"));
        // "Value is a positive integer": rate(0 days) is refused (issue #18 acceptance).
        for bad in [
            "rate(0 days)",
            "rate(0 hours)",
            "rate(-1 days)",
            "rate(1 week)",
            "rate(1 minute)",
            "rate(days)",
            "rate(1)",
            "rate(1 day 2)",
            "rate(1 DAY)",
            "rate(10000000000 days)",
            "rate(1 day",
        ] {
            let m = expr(bad).unwrap_err();
            assert!(m.starts_with("Invalid rate() expression"), "{bad}: {m}");
        }
        // The unit's number need not agree with the value: "rate(1 days)" is recorded from AWS.
        for ok in [
            "rate(1 days)",
            "rate(2 day)",
            "rate(5 hour)",
            "rate(12 hours)",
        ] {
            assert!(expr(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn hour_rates_are_true_intervals_counted_from_midnight() {
        // iamd's reading: rate(N hours) every N hours counted from 1970-01-01 00:00 UTC; for N
        // dividing 24 that is midnight every day ("the default rotation window starts at
        // midnight and closes after one hour").
        let s = expr("rate(12 hours)").unwrap();
        assert_eq!(
            windows(&s, NOW, 3),
            [
                (at!(2025-01-01 12:00), at!(2025-01-01 13:00)),
                (at!(2025-01-02 00:00), at!(2025-01-02 01:00)),
                (at!(2025-01-02 12:00), at!(2025-01-02 13:00)),
            ]
        );
        // For N not dividing 24 the interval stays N across midnight.
        let s = expr("rate(10 hours)").unwrap();
        let w = windows(&s, NOW, 5);
        for pair in w.windows(2) {
            assert_eq!(pair[1].0 - pair[0].0, 10 * HOUR);
        }
    }

    #[test]
    fn both_forms_together_are_refused() {
        // [rec terraform-provider-aws#33329] InvalidParameterException with these words.
        let m = parse(&RulesInput {
            automatically_after_days: Some(30),
            schedule_expression: Some("rate(30 days)"),
            duration: None,
        })
        .unwrap_err();
        assert_eq!(
            m,
            "You cannot specify both rotation frequency and schedule expression together."
        );
    }

    #[test]
    fn automatically_after_days_bounds() {
        // API_RotationRulesType: "Minimum value of 1. Maximum value of 1000." The message is
        // iamd's choice (moto's and LocalStack's words; AWS's are not recorded).
        assert!(days(1).is_ok());
        assert!(days(1000).is_ok());
        for bad in [0, -1, 1001, i64::MAX, i64::MIN] {
            assert_eq!(days(bad).unwrap_err(), MSG_DAYS_RANGE, "{bad}");
        }
    }

    #[test]
    fn no_schedule_is_refused() {
        // iamd's choice: RotationRules with neither form (Duration alone, or nothing).
        assert_eq!(parse(&RulesInput::default()).unwrap_err(), MSG_NO_SCHEDULE);
        let m = parse(&RulesInput {
            duration: Some("2h"),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(m, MSG_NO_SCHEDULE);
    }

    #[test]
    fn duration_syntax() {
        // `[0-9]+h`, 2–3 characters, 1 to 24 hours; the message is iamd's choice.
        for ok in ["1h", "9h", "01h", "10h", "24h"] {
            assert!(expr_window("rate(1 day)", ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "h", "1", "0h", "00h", "25h", "100h", "1hh", "h1", "1H", "1.5h", "-1h", " 1h",
            "1 h", "99h",
        ] {
            assert_eq!(
                expr_window("rate(1 day)", bad).unwrap_err(),
                MSG_DURATION,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn expression_syntax() {
        // 1–256 characters of [0-9A-Za-z\(\)#\?\*\-\/, ]+ (API_RotationRulesType); the
        // message is iamd's choice.
        let long = format!("cron(0 10 * * ? *){}", " ".repeat(240));
        assert_eq!(long.len(), 258);
        for bad in [
            "",
            "rate(1 day);",
            "cron(0 10 * * ? *).",
            "at(2025-01-01T00:00:00)",
            "RATE(1 day)",
            "Cron(0 10 * * ? *)",
            " rate(1 day)",
            "0 10 * * ? *",
            "rate 1 day",
            long.as_str(),
        ] {
            assert_eq!(expr(bad).unwrap_err(), MSG_EXPRESSION, "{bad:?}");
        }
        // Exactly 256 characters is allowed.
        let at_limit = format!("cron(0 10 * * ? *){}", " ".repeat(238));
        assert_eq!(at_limit.chars().count(), 256);
        assert_eq!(expr(&at_limit).unwrap_err(), MSG_EXPRESSION); // no `)` at the end
        let at_limit = format!("cron(0 10 * * ?{} *)", " ".repeat(238));
        assert_eq!(at_limit.chars().count(), 256);
        assert!(expr(&at_limit).is_ok());
    }

    #[test]
    fn cron_field_rules() {
        let refused = |e: &str, want: &str| {
            let m = expr(e).unwrap_err();
            assert!(m.starts_with("Invalid cron() expression"), "{e}: {m}");
            assert!(m.contains(want), "{e}: {m} (wanted {want})");
        };
        refused("cron(0 10 * * ?)", "six fields");
        refused("cron(0 10 * * ? * *)", "six fields");
        refused("cron()", "six fields");
        refused("cron(5 10 * * ? *)", "Minutes field must be 0");
        refused("cron(* 10 * * ? *)", "Minutes field must be 0");
        refused("cron(0/30 10 * * ? *)", "Minutes field must be 0");
        refused("cron(0 10 * * ? 2025)", "Year field must be *");
        refused("cron(0 10 * * ? 2025-2030)", "Year field must be *");
        refused("cron(0 10 ? * ? *)", "exactly one");
        refused("cron(0 10 * * * *)", "exactly one");
        refused("cron(0 10 1 * MON *)", "exactly one");
        refused("cron(0 24 * * ? *)", "Hours value `24`");
        refused("cron(0 -1 * * ? *)", "Hours value");
        refused("cron(0 10/0 * * ? *)", "Hours value `10/0`");
        refused("cron(0 MON * * ? *)", "Hours value `MON`");
        refused("cron(0 10 0 * ? *)", "Day-of-month value `0`");
        refused("cron(0 10 32 * ? *)", "Day-of-month value `32`");
        refused("cron(0 10 15W * ? *)", "Day-of-month value `15W`");
        refused("cron(0 10 W * ? *)", "Day-of-month value `W`");
        refused("cron(0 10 LW * ? *)", "Day-of-month value `LW`");
        refused("cron(0 10 L-2 * ? *)", "Day-of-month value `L-2`");
        refused("cron(0 10 1L * ? *)", "Day-of-month value `1L`");
        refused("cron(0 10 MON * ? *)", "Day-of-month value `MON`");
        refused("cron(0 10 1,,15 * ? *)", "Day-of-month value ``");
        refused("cron(0 10 1 0 ? *)", "Month value `0`");
        refused("cron(0 10 1 13 ? *)", "Month value `13`");
        refused("cron(0 10 1 JANUARY ? *)", "Month value `JANUARY`");
        refused("cron(0 10 1 ? ? *)", "Month value `?`");
        refused("cron(0 10 ? * 0 *)", "Day-of-week value `0`");
        refused("cron(0 10 ? * 8 *)", "Day-of-week value `8`");
        refused("cron(0 10 ? * TUE#0 *)", "Day-of-week value `TUE#0`");
        refused("cron(0 10 ? * TUE#6 *)", "Day-of-week value `TUE#6`");
        refused("cron(0 10 ? * #3 *)", "Day-of-week value `#3`");
        refused("cron(0 10 ? * XL *)", "Day-of-week value `XL`");
        refused("cron(0 10 ? * 8L *)", "Day-of-week value `8L`");
        // iamd's choice: no wrap-around ranges.
        refused("cron(0 10 ? * FRI-MON *)", "Day-of-week value `FRI-MON`");
        refused("cron(0 10 15-1 * ? *)", "Day-of-month value `15-1`");
        // A schedule that never occurs (iamd's choice to refuse it).
        refused("cron(0 10 30 2 ? *)", "never occurs");
        refused("cron(0 10 31 4,6,9,11 ? *)", "never occurs");
    }

    #[test]
    fn cron_forms_accepted() {
        for ok in [
            "cron(0 10 * * ? *)",
            "cron(0 10 ? * * *)",
            "cron(0 */6 * * ? *)",
            "cron(0 0,12 * * ? *)",
            "cron(0 2-20/6 * * ? *)",
            "cron(0 10 1-15 * ? *)",
            "cron(0 10 1/2 * ? *)",
            "cron(0 10 L * ? *)",
            "cron(0 10 SUNL * ? *)",
            "cron(0 10 1,L * ? *)",
            "cron(0 10 * JAN,APR,JUL,OCT ? *)",
            "cron(0 10 * 1-3 ? *)",
            "cron(0 10 * */2 ? *)",
            "cron(0 10 ? * 1,4 *)",
            "cron(0 10 ? * 1-4 *)",
            "cron(0 10 ? * 1/2 *)",
            "cron(0 10 ? * L *)",
            "cron(0 10 ? * SUNL *)",
            "cron(0 10 ? * 1L *)",
            "cron(0 10 ? * TUE#3 *)",
            "cron(0 10 ? * 3#3,FRI#5 *)",
            "cron(0 10 ? * sat *)",
            "cron(0 10 ? jan-mar mon-fri *)",
            "cron(0 10 29 2 ? *)",
            // Recorded in a real configuration (ministryofjustice/modernisation-platform-
            // environments#8903): 10:00 on the second Tuesday of Feb, May, Aug and Nov.
            "cron(0 10 ? FEB,MAY,AUG,NOV TUE#2 *)",
        ] {
            assert!(expr(ok).is_ok(), "{ok}: {:?}", expr(ok));
        }
    }

    #[test]
    fn nth_weekday_and_fifth_weeks() {
        check(
            "cron(0 0 ? * TUE#3 *)",
            &[
                (at!(2025-01-21 00:00), at!(2025-01-22 00:00)),
                (at!(2025-02-18 00:00), at!(2025-02-19 00:00)),
            ],
        );
        // A fifth Friday: January 2025 has one (the 31st), February to April none, May does.
        check(
            "cron(0 0 ? * FRI#5 *)",
            &[
                (at!(2025-01-31 00:00), at!(2025-02-01 00:00)),
                (at!(2025-05-30 00:00), at!(2025-05-31 00:00)),
            ],
        );
        check(
            "cron(0 10 ? FEB,MAY,AUG,NOV TUE#2 *)",
            &[
                (at!(2025-02-11 10:00), at!(2025-02-12 00:00)),
                (at!(2025-05-13 10:00), at!(2025-05-14 00:00)),
            ],
        );
    }

    #[test]
    fn last_days_month_ends_and_leap_years() {
        // L: the last day of February, leap year or not (2000 was one, 2100 is not).
        let s = expr("cron(0 17 L 2 ? *)").unwrap();
        assert_eq!(
            s.next_window(at!(2024-01-15 00:00)).0,
            at!(2024-02-29 17:00)
        );
        assert_eq!(
            s.next_window(at!(2025-01-15 00:00)).0,
            at!(2025-02-28 17:00)
        );
        assert_eq!(
            s.next_window(at!(2000-01-01 00:00)).0,
            at!(2000-02-29 17:00)
        );
        assert_eq!(
            s.next_window(at!(2100-01-01 00:00)).0,
            at!(2100-02-28 17:00)
        );
        // February 29 exists only in leap years.
        let s = expr("cron(0 0 29 2 ? *)").unwrap();
        assert_eq!(s.next_window(NOW).0, at!(2028-02-29 00:00));
        assert_eq!(
            s.next_window(at!(2096-03-01 00:00)).0,
            at!(2104-02-29 00:00)
        );
        // 31: skips the months without one.
        check(
            "cron(0 0 31 * ? *)",
            &[
                (at!(2025-01-31 00:00), at!(2025-02-01 00:00)),
                (at!(2025-03-31 00:00), at!(2025-04-01 00:00)),
                (at!(2025-05-31 00:00), at!(2025-06-01 00:00)),
            ],
        );
        // The last Sunday: as SUNL in Day-of-month (the page's wording) or 1L in Day-of-week.
        for e in [
            "cron(0 0 SUNL * ? *)",
            "cron(0 0 ? * 1L *)",
            "cron(0 0 ? * SUNL *)",
        ] {
            check(
                e,
                &[
                    (at!(2025-01-26 00:00), at!(2025-01-27 00:00)),
                    (at!(2025-02-23 00:00), at!(2025-02-24 00:00)),
                ],
            );
        }
        // Last Saturday of a leap February.
        let s = expr("cron(0 0 ? 2 SATL *)").unwrap();
        assert_eq!(
            s.next_window(at!(2020-01-01 00:00)).0,
            at!(2020-02-29 00:00)
        );
        // L in Day-of-week: the last day of the week, Saturday.
        check(
            "cron(0 0 ? * L *)",
            &[
                (at!(2025-01-04 00:00), at!(2025-01-05 00:00)),
                (at!(2025-01-11 00:00), at!(2025-01-12 00:00)),
            ],
        );
    }

    #[test]
    fn names_and_numbers_agree() {
        let after = NOW;
        let pairs = [
            ("cron(0 8 ? * MON-FRI *)", "cron(0 8 ? * 2-6 *)"),
            ("cron(0 8 ? * SUN#1 *)", "cron(0 8 ? * 1#1 *)"),
            ("cron(0 8 1 JAN,APR,JUL,OCT ? *)", "cron(0 8 1 1/3 ? *)"),
            ("cron(0 8 1 DEC ? *)", "cron(0 8 1 12 ? *)"),
            ("cron(0 8 ? * sat *)", "cron(0 8 ? * 7 *)"),
        ];
        for (a, b) in pairs {
            let (a, b) = (expr(a).unwrap(), expr(b).unwrap());
            assert_eq!(windows(&a, after, 6), windows(&b, after, 6));
        }
    }

    #[test]
    fn describe_echoes_as_aws_does() {
        // AutomaticallyAfterDays alone: only it (LocalStack snapshot recorded against AWS).
        assert_eq!(days(1).unwrap().describe(), (Some(1), None, None));
        // rate(): the calculated days next to the expression [rec terraform-provider-aws#31915:
        // {"AutomaticallyAfterDays": 1, "ScheduleExpression": "rate(10 hours)"}; a recorded
        // DescribeSecret: {"AutomaticallyAfterDays": 1, "ScheduleExpression": "rate(1 days)"}].
        assert_eq!(
            expr("rate(10 hours)").unwrap().describe(),
            (Some(1), Some("rate(10 hours)"), None)
        );
        assert_eq!(
            expr("rate(1 days)").unwrap().describe(),
            (Some(1), Some("rate(1 days)"), None)
        );
        assert_eq!(
            expr_window("rate(10 days)", "3h").unwrap().describe(),
            (Some(10), Some("rate(10 days)"), Some("3h"))
        );
        // cron(): iamd's choice, no calculated days (AWS's value is not recorded).
        assert_eq!(
            expr_window("cron(0 16 1,15 * ? *)", "2h")
                .unwrap()
                .describe(),
            (None, Some("cron(0 16 1,15 * ? *)"), Some("2h"))
        );
        // The expression is kept verbatim.
        assert_eq!(
            expr("cron(0 10 ? * sat *)")
                .unwrap()
                .schedule_expression
                .as_deref(),
            Some("cron(0 10 ? * sat *)")
        );
    }

    #[test]
    fn stored_form_round_trips() {
        let s = expr_window("cron(0 4/12 * * ? *)", "2h").unwrap();
        let json = serde_json::to_string(&s).unwrap();
        let back: Schedule = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.next_window(NOW), s.next_window(NOW));
        // A stored schedule that no longer parses rotates daily rather than panicking.
        let broken = Schedule {
            automatically_after_days: None,
            schedule_expression: Some("cron(nonsense)".into()),
            duration: Some("99h".into()),
        };
        assert_eq!(
            broken.next_window(NOW),
            (at!(2025-01-02 00:00), at!(2025-01-03 00:00))
        );
    }

    #[test]
    fn extreme_times_do_not_panic() {
        for e in ["rate(4 hours)", "rate(999 days)", "cron(0 0 29 2 ? *)"] {
            let s = expr(e).unwrap();
            for t in [i64::MIN, -1, 0, i64::MAX - 1, i64::MAX] {
                let (start, end) = s.next_window(t);
                assert!(start <= end, "{e} at {t}");
            }
        }
        assert!(days(1000).unwrap().next_window(i64::MAX).0 == i64::MAX);
    }

    #[test]
    fn calendar_agrees_with_the_time_crate() {
        for day in (-800_000..800_000).step_by(997) {
            let d = date(day);
            let t = time::OffsetDateTime::from_unix_timestamp(day * DAY).unwrap();
            assert_eq!(d.day, u32::from(t.day()), "{day}");
            assert_eq!(d.month, u32::from(u8::from(t.month())), "{day}");
            assert_eq!(
                d.weekday,
                u32::from(t.weekday().number_from_sunday()),
                "{day}"
            );
        }
    }

    /// Valid schedules for the properties: the page's examples and more.
    const VALID: &[(&str, Option<&str>)] = &[
        ("rate(4 hours)", None),
        ("rate(4 hours)", Some("4h")),
        ("rate(7 hours)", Some("3h")),
        ("rate(10 hours)", None),
        ("rate(23 hours)", Some("23h")),
        ("rate(1 day)", None),
        ("rate(1 day)", Some("24h")),
        ("rate(10 days)", Some("5h")),
        ("rate(999 days)", None),
        ("cron(0 /8 * * ? *)", None),
        ("cron(0 8/8 * * ? *)", Some("8h")),
        ("cron(0 2/10 * * ? *)", Some("2h")),
        ("cron(0 4/12 * * ? *)", Some("8h")),
        ("cron(0 10 * * ? *)", None),
        ("cron(0 23 * * ? *)", Some("1h")),
        ("cron(0 18 ? * SAT *)", None),
        ("cron(0 8 1 * ? *)", Some("16h")),
        ("cron(0 1 ? 1/3 SUN#1 *)", None),
        ("cron(0 17 L * ? *)", None),
        ("cron(0 8 ? * MON-FRI *)", None),
        ("cron(0 16 1,15 * ? *)", None),
        ("cron(0 0 ? * SUN#1 *)", Some("24h")),
        ("cron(0 0 ? 1/11 2#1 *)", None),
        ("cron(0 1,22 L * ? *)", Some("2h")),
        ("cron(0 2,22 * * ? *)", None),
        ("cron(0 0 29 2 ? *)", None),
        ("cron(0 0 ? * FRI#5 *)", None),
    ];

    static VALID_SCHEDULES: std::sync::LazyLock<Vec<Schedule>> = std::sync::LazyLock::new(|| {
        let mut all: Vec<Schedule> = VALID
            .iter()
            .map(|(e, d)| {
                parse(&RulesInput {
                    schedule_expression: Some(e),
                    duration: *d,
                    ..Default::default()
                })
                .unwrap_or_else(|m| panic!("{e}: {m}"))
            })
            .collect();
        all.push(days(1).unwrap());
        all.push(days(1000).unwrap());
        all
    });

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// From any time up to 2200: each window starts after the time it is asked from, has a
        /// positive length, starts on the hour, ends before the next window starts, and the
        /// next window starts at least four hours later.
        #[test]
        fn windows_are_ordered_disjoint_and_four_hours_apart(
            which in 0usize..29,
            t in -2_208_988_800i64..7_258_118_400,
        ) {
            let s = &VALID_SCHEDULES[which % VALID_SCHEDULES.len()];
            let mut after = t;
            let mut previous: Option<(i64, i64)> = None;
            for _ in 0..4 {
                let (start, end) = s.next_window(after);
                prop_assert!(start > after, "{s:?} {after}: {start}");
                prop_assert!(end > start);
                prop_assert!(end - start <= DAY);
                prop_assert_eq!(start.rem_euclid(HOUR), 0);
                if let Some((p_start, p_end)) = previous {
                    prop_assert!(start >= p_end, "{s:?}: overlap {p_start}..{p_end} then {start}");
                    prop_assert!(start - p_start >= 4 * HOUR, "{s:?}: {p_start} then {start}");
                }
                previous = Some((start, end));
                after = start;
            }
        }

        /// For the schedules that do not count from the last rotation (cron and hour rates),
        /// asking from any instant before the next window's start gives that same window.
        #[test]
        fn next_window_is_the_first_start_after(
            which in 0usize..29,
            t in 0i64..4_102_444_800,
            offset in 0i64..DAY,
        ) {
            let s = &VALID_SCHEDULES[which % VALID_SCHEDULES.len()];
            let (start, end) = s.next_window(t);
            let counts_from_last = s.automatically_after_days.is_some()
                || matches!(
                    parse_rate(s.schedule_expression.as_deref().unwrap_or_default()),
                    Ok(Kind::Days(_))
                );
            if !counts_from_last {
                let mid = t + offset.min(start - t - 1);
                prop_assert_eq!(s.next_window(mid), (start, end));
            }
        }

        /// Parsing never panics, whatever the text.
        #[test]
        fn parse_never_panics(e in "[0-9A-Za-z()#?*/, -]{0,40}", d in "[0-9h]{0,4}") {
            let _ = parse(&RulesInput {
                automatically_after_days: None,
                schedule_expression: Some(&e),
                duration: Some(&d),
            });
        }

        #[test]
        fn cron_like_texts_never_panic(
            h in "[0-9*/,-]{1,6}",
            dom in "[0-9LW?*/,#-]{1,5}",
            mon in "[0-9A-Z*/,-]{1,5}",
            dow in "[0-9A-Z?*/,#L-]{1,6}",
        ) {
            let e = format!("cron(0 {h} {dom} {mon} {dow} *)");
            if let Ok(s) = expr(&e) {
                let (start, end) = s.next_window(NOW);
                prop_assert!(start > NOW && end > start, "{e}");
            }
        }
    }
}

//! A CronJob's `spec.schedule`, read as the CronJob controller reads it
//! (the robfig/cron standard parser, Vixie cron's rules): five fields
//! (minute, hour, day of month, month, day of week) of `*` or `?`,
//! numbers, month and day names (`JAN`, `mon`), lists, ranges and steps
//! (`*/15`, `1-30/5`, `5/15` = `5-59/15`), 7 as well as 0 for Sunday, the
//! macros `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`,
//! `@midnight`, `@hourly` and `@every DURATION`, after an optional
//! `CRON_TZ=` or `TZ=` zone (read, then ignored: the period is measured in
//! the schedule's own clock, so a daylight-saving shift is not counted).
//! When both the day of month and the day of week are restricted (neither
//! starts with `*` or `?`), a day matching either fires.
//!
//! What it answers is the schedule's *period*: the longest gap between two
//! consecutive firings, over a whole Gregorian cycle of 400 years (after
//! which the calendar, weekdays and leap days included, repeats exactly),
//! so `0 0 29 2 *` is 8 years (2096 to 2104) and a schedule that never
//! fires (`0 0 30 2 *`) is an error. Not a scheduler: it never says when
//! the next run is.

use std::time::Duration;

/// Days in a Gregorian cycle: 400 years, 20,871 weeks exactly.
const CYCLE_DAYS: u32 = 146_097;
const MINUTES_PER_DAY: u64 = 24 * 60;

/// A schedule that parses, with its period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The longest gap between two consecutive firings.
    pub period: Duration,
}

/// One of the five fields: its name in messages and the values it takes.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTE: Field = Field {
    name: "minute",
    min: 0,
    max: 59,
    names: &[],
};
const HOUR: Field = Field {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
};
const DAY_OF_MONTH: Field = Field {
    name: "day of month",
    min: 1,
    max: 31,
    names: &[],
};
const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
};
/// 0 to 7: 7 is Sunday too, as in Vixie cron.
const DAY_OF_WEEK: Field = Field {
    name: "day of week",
    min: 0,
    max: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
};

/// The values a field fires on (bit n: value n), and whether it was
/// restricted (did not start with `*` or `?`).
struct Values {
    bits: u64,
    restricted: bool,
}

impl Values {
    fn has(&self, value: u32) -> bool {
        self.bits & (1 << value) != 0
    }
}

impl Schedule {
    /// Reads a schedule; the error says which field is wrong and why
    /// (`minute 61 is out of 0-59`).
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let mut words: Vec<&str> = text.split_whitespace().collect();
        if words
            .first()
            .is_some_and(|w| w.starts_with("CRON_TZ=") || w.starts_with("TZ="))
        {
            let zone = words.remove(0);
            if zone.ends_with('=') {
                return Err(format!("the time zone {zone:?} names no zone"));
            }
        }
        let fields: Vec<&str> = match words.as_slice() {
            [] => return Err("the schedule is empty".into()),
            [every, duration @ ..] if every.eq_ignore_ascii_case("@every") => {
                return every_period(&duration.join(" ")).map(|period| Schedule { period });
            }
            [one] if one.starts_with('@') => macro_fields(one)?.split(' ').collect(),
            five @ [_, _, _, _, _] => five.to_vec(),
            other => {
                return Err(format!(
                    "expected 5 fields (minute hour day-of-month month day-of-week) or a macro \
                     (@hourly, @daily...), found {} field(s)",
                    other.len()
                ));
            }
        };
        let minutes = parse_field(fields[0], &MINUTE)?;
        let hours = parse_field(fields[1], &HOUR)?;
        let days_of_month = parse_field(fields[2], &DAY_OF_MONTH)?;
        let months = parse_field(fields[3], &MONTH)?;
        let mut days_of_week = parse_field(fields[4], &DAY_OF_WEEK)?;
        if days_of_week.has(7) {
            days_of_week.bits |= 1;
        }
        let times_of_day: Vec<u64> = (0..24)
            .filter(|h| hours.has(*h))
            .flat_map(|h| {
                (0..60)
                    .filter(|m| minutes.has(*m))
                    .map(move |m| u64::from(h * 60 + m))
            })
            .collect();
        let fires_on = |date: &Date| {
            let by_month_day = days_of_month.has(date.day);
            let by_week_day = days_of_week.has(date.weekday);
            months.has(date.month)
                && if days_of_month.restricted && days_of_week.restricted {
                    by_month_day || by_week_day
                } else {
                    by_month_day && by_week_day
                }
        };
        let firing_days: Vec<u32> = Date::cycle()
            .enumerate()
            .filter(|(_, date)| fires_on(date))
            .map(|(index, _)| index as u32)
            .collect();
        let (Some(&first_day), Some(&last_day)) = (firing_days.first(), firing_days.last()) else {
            return Err(format!(
                "it never fires: no date has day of month {}, month {} and day of week {}",
                fields[2], fields[3], fields[4]
            ));
        };
        let (first_time, last_time) = (times_of_day[0], times_of_day[times_of_day.len() - 1]);
        let within_a_day = times_of_day.windows(2).map(|w| w[1] - w[0]);
        // From the last firing of a day to the first of the next firing day
        // (the last day of the cycle is followed by its first, 400 years on).
        let across_days = firing_days
            .windows(2)
            .map(|w| (w[0], w[1]))
            .chain([(last_day, first_day + CYCLE_DAYS)])
            .map(|(from, to)| u64::from(to - from) * MINUTES_PER_DAY + first_time - last_time);
        let minutes = within_a_day.chain(across_days).max().unwrap_or(0);
        Ok(Schedule {
            period: Duration::from_secs(minutes * 60),
        })
    }
}

/// The five fields a macro stands for.
fn macro_fields(word: &str) -> Result<&'static str, String> {
    Ok(match word.to_ascii_lowercase().as_str() {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        _ => {
            return Err(format!(
                "unknown macro {word}: @yearly, @annually, @monthly, @weekly, @daily, @midnight, \
                 @hourly or @every DURATION"
            ));
        }
    })
}

/// `@every 1h30m`: a Go duration (`h`, `m`, `s`, `ms`, `us`, `ns`,
/// decimals allowed), at least a second, as the controller rounds it.
fn every_period(text: &str) -> Result<Duration, String> {
    let bad = || format!("@every {text:?}: expected a duration such as 90m, 1h30m or 45s");
    let mut rest = text.trim();
    if rest.is_empty() || rest.contains(' ') {
        return Err(bad());
    }
    let mut seconds = 0.0_f64;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let number: f64 = rest[..number_end].parse().map_err(|_| bad())?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return Err(bad()),
        };
        seconds += number * unit;
        rest = &rest[unit_end..];
    }
    if seconds < 1.0 {
        return Err(format!("@every {text}: the period must be at least 1s"));
    }
    Ok(Duration::from_secs(seconds.round() as u64))
}

/// One field: a comma-separated list of `*`, `?`, values and ranges, each
/// with an optional `/step`.
fn parse_field(text: &str, field: &Field) -> Result<Values, String> {
    let name = field.name;
    let mut values = Values {
        bits: 0,
        restricted: !(text.starts_with('*') || text.starts_with('?')),
    };
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step
                    .parse()
                    .map_err(|_| format!("{name} {part:?}: the step {step:?} is not a number"))?;
                if step == 0 {
                    return Err(format!("{name} {part:?}: the step must be at least 1"));
                }
                (range, Some(step))
            }
            None => (part, None),
        };
        let (low, high) = if range == "*" || range == "?" {
            (field.min, field.max)
        } else if let Some((low, high)) = range.split_once('-') {
            (value(low, field)?, value(high, field)?)
        } else {
            let low = value(range, field)?;
            // `5/15` runs from 5 to the end, as the controller reads it.
            (low, if step.is_some() { field.max } else { low })
        };
        if low > high {
            return Err(format!(
                "{name} {part:?}: the range {low}-{high} is backwards"
            ));
        }
        for v in (low..=high).step_by(step.unwrap_or(1) as usize) {
            values.bits |= 1 << v;
        }
    }
    Ok(values)
}

/// A number or a name of a field, within its bounds.
fn value(text: &str, field: &Field) -> Result<u32, String> {
    let name = field.name;
    let by_name = field
        .names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(text))
        .map(|i| i as u32 + if field.min == 1 { 1 } else { 0 });
    let number = match by_name {
        Some(number) => number,
        None => text.parse().map_err(|_| {
            if field.names.is_empty() {
                format!("{name} {text:?} is not a number")
            } else {
                format!(
                    "{name} {text:?} is not a number or a name ({})",
                    field.names.join(", ")
                )
            }
        })?,
    };
    if number < field.min || number > field.max {
        return Err(format!(
            "{name} {number} is out of {}-{}",
            field.min, field.max
        ));
    }
    Ok(number)
}

/// A calendar date, walked one day at a time.
#[derive(Debug, Clone, Copy)]
struct Date {
    year: u32,
    month: u32,
    day: u32,
    /// 0 is Sunday.
    weekday: u32,
}

impl Date {
    /// Every date of one Gregorian cycle, from 2000-01-01 (a Saturday).
    fn cycle() -> impl Iterator<Item = Date> {
        let start = Date {
            year: 2000,
            month: 1,
            day: 1,
            weekday: 6,
        };
        std::iter::successors(Some(start), |d| Some(d.next())).take(CYCLE_DAYS as usize)
    }

    fn next(self) -> Date {
        let weekday = (self.weekday + 1) % 7;
        if self.day < days_in_month(self.year, self.month) {
            Date {
                day: self.day + 1,
                weekday,
                ..self
            }
        } else if self.month < 12 {
            Date {
                month: self.month + 1,
                day: 1,
                weekday,
                ..self
            }
        } else {
            Date {
                year: self.year + 1,
                month: 1,
                day: 1,
                weekday,
            }
        }
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes(schedule: &str) -> u64 {
        Schedule::parse(schedule)
            .unwrap_or_else(|e| panic!("{schedule:?}: {e}"))
            .period
            .as_secs()
            / 60
    }

    fn error(schedule: &str) -> String {
        Schedule::parse(schedule).expect_err(schedule)
    }

    const DAY: u64 = 24 * 60;

    #[test]
    fn periods_are_the_longest_gap_between_firings() {
        assert_eq!(minutes("0 * * * *"), 60);
        assert_eq!(minutes("*/15 * * * *"), 15);
        assert_eq!(minutes("* * * * *"), 1);
        assert_eq!(minutes("1-30/5 * * * *"), 35, "from :26 to the next :01");
        assert_eq!(minutes("0,30 9-17 * * *"), 15 * 60 + 30, "17:30 to 09:00");
        assert_eq!(minutes("0 2 * * *"), DAY);
        assert_eq!(minutes("0 2 * * MON-FRI"), 3 * DAY, "Friday to Monday");
        assert_eq!(minutes("0 0 1 * *"), 31 * DAY);
        assert_eq!(minutes("0 0 1 1 *"), 366 * DAY);
        assert_eq!(minutes("0 0 29 2 *"), (8 * 365 + 1) * DAY, "2096 to 2104");
        assert_eq!(minutes("5/15 * * * *"), 15, "5-59/15: :50 to :05");
        assert_eq!(minutes("50/15 * * * *"), 60, "50-59/15: :50 only");
    }

    #[test]
    fn names_macros_sunday_as_7_and_zones() {
        assert_eq!(minutes("0 3 * jan,Feb sun"), minutes("0 3 * 1,2 0"));
        assert_eq!(minutes("0 3 * * 7"), 7 * DAY);
        assert_eq!(minutes("0 3 * * 5-7"), 5 * DAY, "Sunday to Friday");
        assert_eq!(minutes("@hourly"), 60);
        assert_eq!(minutes("@daily"), DAY);
        assert_eq!(minutes("@midnight"), DAY);
        assert_eq!(minutes("@weekly"), 7 * DAY);
        assert_eq!(minutes("@monthly"), 31 * DAY);
        assert_eq!(minutes("@yearly"), minutes("@annually"));
        assert_eq!(minutes("CRON_TZ=Europe/Paris 0 * * * *"), 60);
        assert_eq!(minutes("TZ=UTC @daily"), DAY);
        assert_eq!(minutes("? * * * ?"), 1);
        assert_eq!(minutes("@every 1h30m"), 90);
        assert_eq!(Schedule::parse("@every 90s").unwrap().period.as_secs(), 90);
    }

    #[test]
    fn a_restricted_day_of_month_and_day_of_week_fire_on_either() {
        // The 13th or any Friday: never more than a week apart.
        assert_eq!(minutes("0 0 13 * FRI"), 7 * DAY);
        // A day of week given as */1 is not restricted: the 13th only.
        assert_eq!(minutes("0 0 13 * */1"), 31 * DAY);
        // Both unrestricted (leading *): every day.
        assert_eq!(minutes("0 0 */1 * *"), DAY);
    }

    #[test]
    fn errors_name_the_field_and_why() {
        assert_eq!(error("61 * * * *"), "minute 61 is out of 0-59");
        assert_eq!(error("0 24 * * *"), "hour 24 is out of 0-23");
        assert_eq!(error("0 0 0 * *"), "day of month 0 is out of 1-31");
        assert_eq!(error("0 0 * 13 *"), "month 13 is out of 1-12");
        assert_eq!(error("0 0 * * 8"), "day of week 8 is out of 0-7");
        assert!(error("0 0 * * FUN").contains("day of week \"FUN\" is not a number or a name"));
        assert!(error("x * * * *").contains("minute \"x\" is not a number"));
        assert!(error("*/0 * * * *").contains("the step must be at least 1"));
        assert!(error("30-10 * * * *").contains("the range 30-10 is backwards"));
        assert!(error("0 * * *").contains("expected 5 fields"));
        assert!(error("0 * * * * *").contains("found 6 field(s)"));
        assert!(error("").contains("empty"));
        assert!(error("@fortnightly").contains("unknown macro @fortnightly"));
        assert!(error("@every 5").contains("expected a duration"));
        assert!(error("@every 10ms").contains("at least 1s"));
        assert!(error("CRON_TZ= 0 * * * *").contains("names no zone"));
    }

    #[test]
    fn a_schedule_that_never_fires_is_an_error() {
        assert_eq!(
            error("0 0 30 2 *"),
            "it never fires: no date has day of month 30, month 2 and day of week *"
        );
        assert!(error("0 0 31 4,6,9,11 *").contains("never fires"));
        // With a restricted day of week too, either fires: the Mondays of
        // February, about eleven months apart.
        assert!(minutes("0 0 30 2 MON") > 330 * DAY);
    }
}

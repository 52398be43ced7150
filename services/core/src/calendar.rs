//! The working-day calendar (工作日): public holidays (法定节假日) and adjusted working days
//! (调休上班日) as announced each year by the General Office of the State Council.
//!
//! A date is a working day when it is an adjusted working day, or when it is Monday to
//! Friday and not inside a holiday range. A year whose schedule is not loaded is counted
//! on weekends alone, and every result that depends on such a year is marked
//! *provisional* (暂定), so that it can be recomputed when the schedule is announced.
//!
//! Periods follow the project rule of `procedure.md`: a period of N working days starting
//! on day D ends on the N-th working day after D; D itself is not counted (Civil Code
//! Art. 201).
//!
//! The calendar is read from a TOML file shaped like `china-workdays.toml` (one `[[year]]`
//! table per year, TOML dates). [`WorkCalendar::load_toml`] adds or replaces years at run
//! time, because the next year's schedule is announced in November or December.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The calendar shipped with ogi (2019–2026, every year of the 2019 Regulations); a test
/// keeps it equal to the upstream spec's `spec/calendar/china-workdays.toml` when present.
pub const OFFICIAL_CALENDAR_TOML: &str = include_str!("../data/china-workdays.toml");

/// The years a calendar file may describe.
pub const SUPPORTED_YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// One public holiday (法定节假日) of a year: every date from `from` to `to` (both included)
/// is a non-working day, weekdays included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The schedule of one year: its holidays and its adjusted working days (调休上班日,
/// weekend days that are working days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearSchedule {
    pub year: i32,
    pub holidays: Vec<Holiday>,
    pub adjusted_workdays: Vec<NaiveDate>,
}

/// What kind of day a date is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum DayKind {
    /// Monday to Friday, not a holiday.
    Workday,
    /// A weekend day that is a working day (调休上班).
    AdjustedWorkday,
    /// Saturday or Sunday.
    Weekend,
    /// Inside a public holiday; the holiday's name.
    Holiday(String),
}

impl DayKind {
    /// `true` for the two kinds of working day.
    pub fn is_workday(&self) -> bool {
        matches!(self, DayKind::Workday | DayKind::AdjustedWorkday)
    }
}

impl fmt::Display for DayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DayKind::Workday => f.write_str("工作日"),
            DayKind::AdjustedWorkday => f.write_str("调休上班日"),
            DayKind::Weekend => f.write_str("周末"),
            DayKind::Holiday(name) => f.write_str(name),
        }
    }
}

/// Why a calendar file or schedule is refused; the message is for the user, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("工作日历文件格式错误：{0}")]
    Toml(String),
    #[error("工作日历文件中没有任何年度安排（[[year]]）")]
    NoYears,
    #[error("年度{0}超出支持范围（1900—9999）")]
    YearOutOfRange(i32),
    #[error("{0}年度的安排在同一文件中出现了不止一次")]
    DuplicateYear(i32),
    #[error("{year}年度：{field}「{value}」应为不带时间的日期（如 2024-10-01）")]
    NotADate {
        year: i32,
        field: &'static str,
        value: String,
    },
    #[error("{year}年度：节假日名称不能为空（{from}起）")]
    EmptyHolidayName { year: i32, from: NaiveDate },
    #[error("{year}年度：节假日「{name}」的起始日期{from}晚于结束日期{to}")]
    HolidayReversed {
        year: i32,
        name: String,
        from: NaiveDate,
        to: NaiveDate,
    },
    #[error("{year}年度：节假日「{name}」（{from}至{to}）不在该年度内")]
    HolidayOutsideYear {
        year: i32,
        name: String,
        from: NaiveDate,
        to: NaiveDate,
    },
    #[error("{year}年度：节假日「{first}」与「{second}」的日期重叠（{date}）")]
    HolidayOverlap {
        year: i32,
        first: String,
        second: String,
        date: NaiveDate,
    },
    #[error("{year}年度：调休上班日{date}不在该年度内")]
    AdjustedOutsideYear { year: i32, date: NaiveDate },
    #[error("{year}年度：调休上班日{date}是{weekday}，不是周六或周日")]
    AdjustedNotWeekend {
        year: i32,
        date: NaiveDate,
        weekday: &'static str,
    },
    #[error("{year}年度：调休上班日{date}落在节假日「{holiday}」内")]
    AdjustedInHoliday {
        year: i32,
        date: NaiveDate,
        holiday: String,
    },
    #[error("{year}年度：调休上班日{date}重复出现")]
    DuplicateAdjusted { year: i32, date: NaiveDate },
    #[error("{year}年度：节假日「{name}」（{from}起）排在更晚的节假日之后，应按日期先后排列")]
    HolidaysOutOfOrder {
        year: i32,
        name: String,
        from: NaiveDate,
    },
    #[error("{year}年度：调休上班日{date}排在更晚的日期之后，应按日期先后排列")]
    AdjustedOutOfOrder { year: i32, date: NaiveDate },
    #[error("{year}年度排在{previous}年度之后，年度应按先后排列")]
    YearsOutOfOrder { year: i32, previous: i32 },
    #[error("{year}年度的安排不完整：缺少{missing}（国务院通知每年安排这七个节日）")]
    YearIncomplete { year: i32, missing: String },
}

/// The seven public holidays the State Council arranges every year (a combined range such
/// as 「国庆节、中秋节」 covers two of them).
pub const ANNUAL_FESTIVALS: [&str; 7] = ["元旦", "春节", "清明", "劳动", "端午", "中秋", "国庆"];

/// The strict check an operator runs on a calendar file before loading it
/// (`ogi calendar check`): everything [`parse_calendar_toml`] checks (dates inside their
/// year, no overlapping holidays, no holiday on an adjusted working day, every adjusted
/// working day a Saturday or Sunday), and in addition years, holidays and adjusted working
/// days in date order and every year complete (all seven festivals arranged).
pub fn check_calendar_file(text: &str) -> Result<Vec<YearSchedule>, CalendarError> {
    let schedules = parse_calendar_toml(text)?;
    let mut previous: Option<i32> = None;
    for s in &schedules {
        let year = s.year;
        if let Some(p) = previous
            && p > year
        {
            return Err(CalendarError::YearsOutOfOrder { year, previous: p });
        }
        previous = Some(year);
        if let Some(w) = s.holidays.windows(2).find(|w| w[1].from < w[0].from) {
            return Err(CalendarError::HolidaysOutOfOrder {
                year,
                name: w[1].name.clone(),
                from: w[1].from,
            });
        }
        if let Some(w) = s.adjusted_workdays.windows(2).find(|w| w[1] < w[0]) {
            return Err(CalendarError::AdjustedOutOfOrder { year, date: w[1] });
        }
        let missing: Vec<&str> = ANNUAL_FESTIVALS
            .iter()
            .copied()
            .filter(|f| !s.holidays.iter().any(|h| h.name.contains(f)))
            .collect();
        if !missing.is_empty() {
            return Err(CalendarError::YearIncomplete {
                year,
                missing: missing.join("、"),
            });
        }
    }
    Ok(schedules)
}

/// The Chinese name of a weekday (`周一` … `周日`).
pub fn weekday_label(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "周一",
        Weekday::Tue => "周二",
        Weekday::Wed => "周三",
        Weekday::Thu => "周四",
        Weekday::Fri => "周五",
        Weekday::Sat => "周六",
        Weekday::Sun => "周日",
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Day marks of one loaded year, indexed by `ordinal0`: [`MARK_NONE`], [`MARK_ADJUSTED`],
/// or `MARK_HOLIDAY + k` for the `k`-th holiday of the schedule.
type Marks = Box<[u16]>;
const MARK_NONE: u16 = 0;
const MARK_ADJUSTED: u16 = 1;
const MARK_HOLIDAY: u16 = 2;

/// What the calendar knows about one date, without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// The year is not loaded: weekends only.
    Unknown,
    Plain,
    Adjusted,
    Holiday(u16),
}

/// The working-day calendar: the loaded years' schedules plus a per-year table of the
/// special dates, so that [`WorkCalendar::is_workday`] is a map look-up and an index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    years: BTreeMap<i32, YearSchedule>,
    marks: BTreeMap<i32, Marks>,
}

/// The result of counting working days: the date, and whether it depends on a year whose
/// schedule is not loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WorkdayCount {
    pub date: NaiveDate,
    /// Some day counted or skipped lies in a year that is not loaded (weekends only).
    pub provisional: bool,
}

/// How [`WorkCalendar::workdays_after`] reached its date; `Display` writes it in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkdayExplanation {
    pub start: NaiveDate,
    pub n: u32,
    pub date: NaiveDate,
    pub provisional: bool,
    /// The non-working days passed over, in date order.
    pub skipped: Vec<(NaiveDate, DayKind)>,
    /// The adjusted working days (调休上班日, weekend days) that counted.
    pub adjusted_counted: Vec<NaiveDate>,
}

/// A run of consecutive days of the same kind (a holiday, or a weekend), for explanations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub kind: DayKind,
}

impl fmt::Display for DayRange {
    /// `2024-10-01至2024-10-07（国庆节）`, `2024-09-28（周六）`, `2024-10-19至2024-10-20（周末）`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            match &self.kind {
                DayKind::Weekend => {
                    write!(f, "{}（{}）", self.from, weekday_label(self.from.weekday()))
                }
                kind => write!(f, "{}（{kind}）", self.from),
            }
        } else {
            write!(f, "{}至{}（{}）", self.from, self.to, self.kind)
        }
    }
}

/// Group dated days into runs of consecutive days of the same kind (same holiday name,
/// or weekend). The input is expected in date order.
pub fn group_days(days: &[(NaiveDate, DayKind)]) -> Vec<DayRange> {
    let mut ranges: Vec<DayRange> = Vec::new();
    for (date, kind) in days {
        if let Some(last) = ranges.last_mut()
            && last.kind == *kind
            && last.to.succ_opt() == Some(*date)
        {
            last.to = *date;
            continue;
        }
        ranges.push(DayRange {
            from: *date,
            to: *date,
            kind: kind.clone(),
        });
    }
    ranges
}

/// Join displayable items with `、`.
pub(crate) fn join_cn<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join("、")
}

/// The sentence added to a result that depends on a year that is not loaded.
pub const PROVISIONAL_NOTE: &str = "（该年度节假日安排未载入，仅按周末推算，结果为暂定）";

impl fmt::Display for WorkdayExplanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "自{}起算{}个工作日（起算日不计入），截止{}",
            self.start, self.n, self.date
        )?;
        if self.provisional {
            f.write_str(PROVISIONAL_NOTE)?;
        }
        f.write_str("。")?;
        if !self.skipped.is_empty() {
            write!(f, "跳过：{}", join_cn(group_days(&self.skipped)))?;
            f.write_str(if self.adjusted_counted.is_empty() {
                "。"
            } else {
                "；"
            })?;
        }
        if !self.adjusted_counted.is_empty() {
            write!(f, "计入调休上班日：{}。", join_cn(&self.adjusted_counted))?;
        }
        Ok(())
    }
}

// ----- the file format -----

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    year: Vec<RawYear>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    year: i32,
    #[serde(default)]
    holidays: Vec<RawHoliday>,
    #[serde(default)]
    adjusted_workdays: Vec<toml::value::Datetime>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    name: String,
    from: toml::value::Datetime,
    to: toml::value::Datetime,
}

fn toml_date(
    year: i32,
    field: &'static str,
    value: &toml::value::Datetime,
) -> Result<NaiveDate, CalendarError> {
    let not_a_date = || CalendarError::NotADate {
        year,
        field,
        value: value.to_string(),
    };
    match (value.date, value.time, value.offset) {
        (Some(d), None, None) => {
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                .ok_or_else(not_a_date)
        }
        _ => Err(not_a_date()),
    }
}

/// Parse and validate a calendar file into its year schedules, in file order.
pub fn parse_calendar_toml(text: &str) -> Result<Vec<YearSchedule>, CalendarError> {
    Ok(parse_with_marks(text)?
        .into_iter()
        .map(|(s, _)| s)
        .collect())
}

fn parse_with_marks(text: &str) -> Result<Vec<(YearSchedule, Marks)>, CalendarError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| CalendarError::Toml(e.to_string()))?;
    if raw.year.is_empty() {
        return Err(CalendarError::NoYears);
    }
    let mut seen = HashSet::new();
    let mut schedules = Vec::with_capacity(raw.year.len());
    for y in raw.year {
        let year = y.year;
        if !seen.insert(year) {
            return Err(CalendarError::DuplicateYear(year));
        }
        let mut holidays = Vec::with_capacity(y.holidays.len());
        for h in &y.holidays {
            holidays.push(Holiday {
                name: h.name.clone(),
                from: toml_date(year, "节假日起始日期", &h.from)?,
                to: toml_date(year, "节假日结束日期", &h.to)?,
            });
        }
        let adjusted_workdays = y
            .adjusted_workdays
            .iter()
            .map(|d| toml_date(year, "调休上班日", d))
            .collect::<Result<Vec<_>, _>>()?;
        let schedule = YearSchedule {
            year,
            holidays,
            adjusted_workdays,
        };
        let marks = build_marks(&schedule)?;
        schedules.push((schedule, marks));
    }
    Ok(schedules)
}

/// Validate a schedule and build its day table.
fn build_marks(s: &YearSchedule) -> Result<Marks, CalendarError> {
    let year = s.year;
    if !SUPPORTED_YEARS.contains(&year) {
        return Err(CalendarError::YearOutOfRange(year));
    }
    let days = if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
        366
    } else {
        365
    };
    let mut marks = vec![MARK_NONE; days].into_boxed_slice();
    if s.holidays.len() > usize::from(u16::MAX - MARK_HOLIDAY) {
        // Not a real schedule; refuse rather than overflow the marks.
        return Err(CalendarError::YearOutOfRange(year));
    }
    for (k, h) in s.holidays.iter().enumerate() {
        if h.name.trim().is_empty() {
            return Err(CalendarError::EmptyHolidayName { year, from: h.from });
        }
        if h.from > h.to {
            return Err(CalendarError::HolidayReversed {
                year,
                name: h.name.clone(),
                from: h.from,
                to: h.to,
            });
        }
        if h.from.year() != year || h.to.year() != year {
            return Err(CalendarError::HolidayOutsideYear {
                year,
                name: h.name.clone(),
                from: h.from,
                to: h.to,
            });
        }
        for d in h.from.iter_days().take_while(|d| *d <= h.to) {
            let slot = &mut marks[d.ordinal0() as usize];
            if *slot != MARK_NONE {
                return Err(CalendarError::HolidayOverlap {
                    year,
                    first: s.holidays[usize::from(*slot - MARK_HOLIDAY)].name.clone(),
                    second: h.name.clone(),
                    date: d,
                });
            }
            // k fits: checked above.
            *slot = MARK_HOLIDAY + k as u16;
        }
    }
    for d in &s.adjusted_workdays {
        let d = *d;
        if d.year() != year {
            return Err(CalendarError::AdjustedOutsideYear { year, date: d });
        }
        if !is_weekend(d) {
            return Err(CalendarError::AdjustedNotWeekend {
                year,
                date: d,
                weekday: weekday_label(d.weekday()),
            });
        }
        let slot = &mut marks[d.ordinal0() as usize];
        match *slot {
            MARK_NONE => *slot = MARK_ADJUSTED,
            MARK_ADJUSTED => return Err(CalendarError::DuplicateAdjusted { year, date: d }),
            k => {
                return Err(CalendarError::AdjustedInHoliday {
                    year,
                    date: d,
                    holiday: s.holidays[usize::from(k - MARK_HOLIDAY)].name.clone(),
                });
            }
        }
    }
    Ok(marks)
}

impl WorkCalendar {
    /// An empty calendar: every year is counted on weekends alone (provisional).
    pub fn new() -> WorkCalendar {
        WorkCalendar::default()
    }

    /// The shipped calendar (2019–2026), parsed once per process.
    pub fn official() -> WorkCalendar {
        Self::official_ref().clone()
    }

    /// The shipped calendar, shared.
    pub fn official_ref() -> &'static WorkCalendar {
        static OFFICIAL: OnceLock<WorkCalendar> = OnceLock::new();
        OFFICIAL.get_or_init(|| {
            WorkCalendar::from_toml(OFFICIAL_CALENDAR_TOML)
                .expect("the shipped china-workdays.toml is valid")
        })
    }

    /// A calendar from a file shaped like `china-workdays.toml`.
    pub fn from_toml(text: &str) -> Result<WorkCalendar, CalendarError> {
        let mut cal = WorkCalendar::default();
        cal.load_toml(text)?;
        Ok(cal)
    }

    /// Add the years of a calendar file, replacing years already loaded (a new year
    /// announced in November, or a corrected one). Returns the years loaded, in file order.
    /// On error nothing changes.
    pub fn load_toml(&mut self, text: &str) -> Result<Vec<i32>, CalendarError> {
        let built = parse_with_marks(text)?;
        let years = built.iter().map(|(s, _)| s.year).collect();
        for (s, marks) in built {
            self.marks.insert(s.year, marks);
            self.years.insert(s.year, s);
        }
        Ok(years)
    }

    /// Add or replace one year's schedule (e.g. received as JSON). On error nothing changes.
    pub fn insert_year(&mut self, schedule: YearSchedule) -> Result<(), CalendarError> {
        let marks = build_marks(&schedule)?;
        self.marks.insert(schedule.year, marks);
        self.years.insert(schedule.year, schedule);
        Ok(())
    }

    /// The loaded years, ascending.
    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// Whether the schedule of `year` is loaded.
    pub fn is_loaded(&self, year: i32) -> bool {
        self.marks.contains_key(&year)
    }

    /// The schedule of a loaded year.
    pub fn schedule(&self, year: i32) -> Option<&YearSchedule> {
        self.years.get(&year)
    }

    /// The loaded schedules, by year.
    pub fn schedules(&self) -> impl Iterator<Item = &YearSchedule> {
        self.years.values()
    }

    fn mark(&self, d: NaiveDate) -> Mark {
        match self.marks.get(&d.year()) {
            None => Mark::Unknown,
            Some(marks) => match marks[d.ordinal0() as usize] {
                MARK_NONE => Mark::Plain,
                MARK_ADJUSTED => Mark::Adjusted,
                k => Mark::Holiday(k - MARK_HOLIDAY),
            },
        }
    }

    fn mark_is_workday(d: NaiveDate, mark: Mark) -> bool {
        match mark {
            Mark::Unknown | Mark::Plain => !is_weekend(d),
            Mark::Adjusted => true,
            Mark::Holiday(_) => false,
        }
    }

    fn mark_kind(&self, d: NaiveDate, mark: Mark) -> DayKind {
        match mark {
            Mark::Adjusted => DayKind::AdjustedWorkday,
            Mark::Holiday(k) => {
                let name = self
                    .years
                    .get(&d.year())
                    .and_then(|s| s.holidays.get(usize::from(k)))
                    .map(|h| h.name.clone())
                    .unwrap_or_default();
                DayKind::Holiday(name)
            }
            Mark::Unknown | Mark::Plain if is_weekend(d) => DayKind::Weekend,
            Mark::Unknown | Mark::Plain => DayKind::Workday,
        }
    }

    /// What kind of day `d` is; for a year that is not loaded, weekends only.
    pub fn day_kind(&self, d: NaiveDate) -> DayKind {
        self.mark_kind(d, self.mark(d))
    }

    /// Whether `d` is a working day (工作日).
    pub fn is_workday(&self, d: NaiveDate) -> bool {
        Self::mark_is_workday(d, self.mark(d))
    }

    /// Walk from the day after `start` until `n` working days have been counted, calling
    /// `visit` on every day walked with whether it counted.
    fn walk(
        &self,
        start: NaiveDate,
        n: u32,
        mut visit: impl FnMut(NaiveDate, Mark, bool),
    ) -> WorkdayCount {
        let mut date = start;
        let mut provisional = false;
        let mut counted = 0;
        while counted < n {
            let Some(next) = date.succ_opt() else {
                // The end of chrono's calendar: nothing sensible left to count.
                return WorkdayCount {
                    date,
                    provisional: true,
                };
            };
            date = next;
            let mark = self.mark(date);
            provisional |= mark == Mark::Unknown;
            let works = Self::mark_is_workday(date, mark);
            if works {
                counted += 1;
            }
            visit(date, mark, works);
        }
        WorkdayCount { date, provisional }
    }

    /// The `n`-th working day after `start` (`start` itself not counted, Civil Code
    /// Art. 201); `n = 0` gives `start`.
    pub fn workdays_after(&self, start: NaiveDate, n: u32) -> WorkdayCount {
        self.walk(start, n, |_, _, _| {})
    }

    /// [`Self::workdays_after`] with the days it skipped and the adjusted days it counted.
    pub fn explain_workdays_after(&self, start: NaiveDate, n: u32) -> WorkdayExplanation {
        let mut skipped = Vec::new();
        let mut adjusted_counted = Vec::new();
        let result = self.walk(start, n, |d, mark, works| {
            if !works {
                skipped.push((d, self.mark_kind(d, mark)));
            } else if mark == Mark::Adjusted {
                adjusted_counted.push(d);
            }
        });
        WorkdayExplanation {
            start,
            n,
            date: result.date,
            provisional: result.provisional,
            skipped,
            adjusted_counted,
        }
    }

    /// The number of working days in `(from, to]`; negative (minus the working days in
    /// `(to, from]`) when `to` is before `from`.
    pub fn workdays_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (lo, hi, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let count = lo
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= hi)
            .filter(|d| self.is_workday(*d));
        sign * count.count() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// A made-up 2027 schedule for the tests (not an announced one).
    const TEST_2027: &str = r#"
[[year]]
year = 2027
holidays = [
  { name = "元旦", from = 2027-01-01, to = 2027-01-03 },
]
adjusted_workdays = []
"#;

    #[test]
    fn shipped_copy_covers_every_year_of_the_regulations() {
        assert_eq!(
            WorkCalendar::official().years(),
            [2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026]
        );
        // The shipped file passes the operator's strict check too.
        assert_eq!(
            check_calendar_file(OFFICIAL_CALENDAR_TOML).unwrap().len(),
            8
        );
    }

    #[test]
    fn shipped_copy_equals_the_shared_spec() {
        let Some(text) = crate::upstream::read("calendar", "spec/calendar/china-workdays.toml")
        else {
            return;
        };
        let shared = parse_calendar_toml(&text).unwrap();
        let shipped = parse_calendar_toml(OFFICIAL_CALENDAR_TOML).unwrap();
        assert_eq!(shared, shipped);
        assert_eq!(
            WorkCalendar::from_toml(&text).unwrap(),
            WorkCalendar::official()
        );
    }

    #[test]
    fn national_day_2024_official_answer() {
        // 2024-09-27 is a Friday. Counted: 09-29 (Sun, 调休) 1, 09-30 2, [10-01..07 国庆],
        // 10-08..11 3–6, 10-12 (Sat, 调休) 7, 10-14..18 8–12, 10-21..25 13–17,
        // 10-28 18, 10-29 19, 10-30 20.
        let cal = WorkCalendar::official();
        let result = cal.workdays_after(d("2024-09-27"), 20);
        assert_eq!(
            result,
            WorkdayCount {
                date: d("2024-10-30"),
                provisional: false
            }
        );

        let e = cal.explain_workdays_after(d("2024-09-27"), 20);
        assert_eq!(e.date, d("2024-10-30"));
        assert_eq!(e.adjusted_counted, [d("2024-09-29"), d("2024-10-12")]);
        assert_eq!(e.skipped.len(), 1 + 7 + 1 + 2 + 2);
        assert_eq!(
            e.to_string(),
            "自2024-09-27起算20个工作日（起算日不计入），截止2024-10-30。\
             跳过：2024-09-28（周六）、2024-10-01至2024-10-07（国庆节）、2024-10-13（周日）、\
             2024-10-19至2024-10-20（周末）、2024-10-26至2024-10-27（周末）；\
             计入调休上班日：2024-09-29、2024-10-12。"
        );
    }

    #[test]
    fn day_kinds() {
        let cal = WorkCalendar::official();
        assert_eq!(
            cal.day_kind(d("2024-10-01")),
            DayKind::Holiday("国庆节".into())
        );
        // a Saturday inside a holiday range is the holiday
        assert_eq!(
            cal.day_kind(d("2024-10-05")),
            DayKind::Holiday("国庆节".into())
        );
        assert_eq!(cal.day_kind(d("2024-09-29")), DayKind::AdjustedWorkday);
        assert_eq!(cal.day_kind(d("2024-09-28")), DayKind::Weekend);
        assert_eq!(cal.day_kind(d("2024-09-27")), DayKind::Workday);
        assert_eq!(
            cal.day_kind(d("2023-10-06")),
            DayKind::Holiday("中秋节、国庆节".into())
        );
        assert!(cal.is_workday(d("2026-02-28")));
        assert!(!cal.is_workday(d("2026-02-23")));
        assert!(cal.is_workday(d("2026-02-24")));
        // not loaded: weekends only
        assert_eq!(cal.day_kind(d("2027-01-01")), DayKind::Workday);
        assert_eq!(cal.day_kind(d("2027-01-02")), DayKind::Weekend);
        assert!(!cal.is_loaded(2027));
        assert!(cal.is_loaded(2025));
    }

    #[test]
    fn zero_days_is_the_start() {
        let cal = WorkCalendar::official();
        let r = cal.workdays_after(d("2024-10-03"), 0);
        assert_eq!(
            r,
            WorkdayCount {
                date: d("2024-10-03"),
                provisional: false
            }
        );
        // a start on a holiday: the first working day after it
        assert_eq!(cal.workdays_after(d("2024-10-03"), 1).date, d("2024-10-08"));
    }

    #[test]
    fn the_courts_2022_national_day_example() {
        // Received 2022-09-30 (Fri); 20 working days: 10-01..07 国庆节 skipped, Saturday 8
        // and Sunday 9 October are make-up working days and count.
        let cal = WorkCalendar::official();
        let e = cal.explain_workdays_after(d("2022-09-30"), 20);
        assert_eq!(e.date, d("2022-11-02"));
        assert!(!e.provisional);
        assert_eq!(e.adjusted_counted, [d("2022-10-08"), d("2022-10-09")]);
        // Weekdays alone would give a different answer: the 调休 days matter.
        assert_ne!(
            WorkCalendar::new().workdays_after(d("2022-09-30"), 20).date,
            e.date
        );
    }

    #[test]
    fn spring_festival_2020_was_extended_to_2_february() {
        let cal = WorkCalendar::official();
        // 2020-01-31 (Fri) and 2020-02-02 (Sun) lie in the extended holiday; 2020-02-01
        // (Sat), once announced as a working day, was cancelled.
        assert!(matches!(cal.day_kind(d("2020-01-31")), DayKind::Holiday(_)));
        assert!(!cal.is_workday(d("2020-02-01")));
        assert!(!cal.is_workday(d("2020-02-02")));
        assert!(cal.is_workday(d("2020-02-03")));
        assert_eq!(cal.workdays_after(d("2020-01-23"), 1).date, d("2020-02-03"));
    }

    #[test]
    fn the_strict_check_refuses_what_an_operator_must_not_load() {
        let year = |holidays: &str, adjusted: &str| {
            format!(
                "[[year]]\nyear = 2027\nholidays = [{holidays}]\nadjusted_workdays = [{adjusted}]\n"
            )
        };
        let all = r#"{ name = "元旦", from = 2027-01-01, to = 2027-01-01 },
            { name = "春节", from = 2027-02-06, to = 2027-02-12 },
            { name = "清明节", from = 2027-04-05, to = 2027-04-05 },
            { name = "劳动节", from = 2027-05-01, to = 2027-05-05 },
            { name = "端午节", from = 2027-06-09, to = 2027-06-09 },
            { name = "中秋节", from = 2027-09-15, to = 2027-09-15 },
            { name = "国庆节", from = 2027-10-01, to = 2027-10-07 }"#;
        // A made-up but complete year passes.
        assert!(check_calendar_file(&year(all, "2027-02-13")).is_ok());
        // A holiday on an adjusted working day.
        let e = check_calendar_file(&year(all, "2027-10-02")).unwrap_err();
        assert!(matches!(e, CalendarError::AdjustedInHoliday { .. }), "{e}");
        assert!(e.to_string().contains("落在节假日「国庆节」内"), "{e}");
        // An adjusted working day on a weekday.
        let e = check_calendar_file(&year(all, "2027-02-15")).unwrap_err();
        assert!(matches!(e, CalendarError::AdjustedNotWeekend { .. }), "{e}");
        // Out of order.
        let e = check_calendar_file(&year(all, "2027-10-09, 2027-02-13")).unwrap_err();
        assert!(matches!(e, CalendarError::AdjustedOutOfOrder { .. }), "{e}");
        let swapped = all.replace(
            r#"{ name = "元旦", from = 2027-01-01, to = 2027-01-01 },
            { name = "春节", from = 2027-02-06, to = 2027-02-12 },"#,
            r#"{ name = "春节", from = 2027-02-06, to = 2027-02-12 },
            { name = "元旦", from = 2027-01-01, to = 2027-01-01 },"#,
        );
        assert_ne!(swapped, all);
        let e = check_calendar_file(&year(&swapped, "")).unwrap_err();
        assert!(matches!(e, CalendarError::HolidaysOutOfOrder { .. }), "{e}");
        // An incomplete year (only 元旦) loads, but the strict check names what is missing.
        assert!(WorkCalendar::from_toml(TEST_2027).is_ok());
        let e = check_calendar_file(TEST_2027).unwrap_err();
        assert_eq!(
            e.to_string(),
            "2027年度的安排不完整：缺少春节、清明、劳动、端午、中秋、国庆（国务院通知每年安排这七个节日）"
        );
    }

    #[test]
    fn provisional_in_an_unloaded_year() {
        let mut cal = WorkCalendar::official();
        // 2026-12-15 (Tue): 12-16..31 count 12 days, then weekends only in 2027:
        // 01-01 (Fri) 13, 01-04..08 14–18, 01-11 19, 01-12 20.
        let r = cal.workdays_after(d("2026-12-15"), 20);
        assert_eq!(
            r,
            WorkdayCount {
                date: d("2027-01-12"),
                provisional: true
            }
        );
        let e = cal.explain_workdays_after(d("2026-12-15"), 20);
        assert!(
            e.to_string()
                .contains("截止2027-01-12（该年度节假日安排未载入，仅按周末推算，结果为暂定）。")
        );
        // entirely inside 2027
        let r = cal.workdays_after(d("2027-03-01"), 5);
        assert_eq!(
            r,
            WorkdayCount {
                date: d("2027-03-08"),
                provisional: true
            }
        );

        assert_eq!(cal.load_toml(TEST_2027).unwrap(), [2027]);
        assert_eq!(
            cal.years(),
            [2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026, 2027]
        );
        // 01-01..03 now a holiday: 01-04..08 13–17, 01-11..13 18–20.
        let r = cal.workdays_after(d("2026-12-15"), 20);
        assert_eq!(
            r,
            WorkdayCount {
                date: d("2027-01-13"),
                provisional: false
            }
        );
        assert!(
            !cal.explain_workdays_after(d("2026-12-15"), 20)
                .to_string()
                .contains("暂定")
        );
        // before 2026 nothing is provisional
        assert!(!cal.workdays_after(d("2026-11-02"), 20).provisional);
        // a gap year in the middle is provisional
        let gap = WorkCalendar::from_toml(TEST_2027).unwrap();
        assert!(gap.workdays_after(d("2026-12-30"), 3).provisional);
    }

    #[test]
    fn replacing_a_year() {
        let mut cal = WorkCalendar::official();
        let corrected = "[[year]]\nyear = 2024\nholidays = [{ name = \"测试\", from = 2024-09-30, to = 2024-09-30 }]\n";
        assert_eq!(cal.load_toml(corrected).unwrap(), [2024]);
        assert_eq!(cal.day_kind(d("2024-10-01")), DayKind::Workday);
        assert_eq!(cal.day_kind(d("2024-09-29")), DayKind::Weekend);
        assert_eq!(
            cal.day_kind(d("2024-09-30")),
            DayKind::Holiday("测试".into())
        );
        assert_eq!(cal.schedule(2024).unwrap().holidays.len(), 1);
    }

    #[test]
    fn invalid_files_change_nothing() {
        let bad = [
            ("not toml [[", "格式错误"),
            ("", "没有任何年度安排"),
            (
                "[[year]]\nyear = 2027\nholidays = [{ name = \"元旦\", from = 2027-01-03, to = 2027-01-01 }]",
                "晚于",
            ),
            (
                "[[year]]\nyear = 2027\nholidays = [{ name = \"元旦\", from = 2026-12-31, to = 2027-01-01 }]",
                "不在该年度内",
            ),
            (
                "[[year]]\nyear = 2027\nadjusted_workdays = [2027-01-04]",
                "是周一，不是周六或周日",
            ),
            (
                "[[year]]\nyear = 2027\nholidays = [{ name = \"元旦\", from = 2027-01-01, to = 2027-01-03 }]\nadjusted_workdays = [2027-01-02]",
                "落在节假日「元旦」内",
            ),
            (
                "[[year]]\nyear = 2027\nadjusted_workdays = [2028-01-01]",
                "不在该年度内",
            ),
            (
                "[[year]]\nyear = 2027\nadjusted_workdays = [2027-01-09, 2027-01-09]",
                "重复",
            ),
            (
                "[[year]]\nyear = 2027\nadjusted_workdays = [2027-01-09T08:00:00]",
                "不带时间的日期",
            ),
            ("[[year]]\nyear = 2027\n[[year]]\nyear = 2027", "不止一次"),
            ("[[year]]\nyear = 2027\nholiday = []", "格式错误"),
            (
                "[[year]]\nyear = 2027\nholidays = [{ name = \"a\", from = 2027-01-01, to = 2027-01-03 }, { name = \"b\", from = 2027-01-03, to = 2027-01-04 }]",
                "重叠",
            ),
            (
                "[[year]]\nyear = 2027\nholidays = [{ name = \" \", from = 2027-01-01, to = 2027-01-03 }]",
                "名称不能为空",
            ),
            // a valid year before an invalid one: neither is loaded
            (
                "[[year]]\nyear = 2028\n[[year]]\nyear = 2027\nadjusted_workdays = [2027-01-04]",
                "不是周六",
            ),
        ];
        for (text, message) in bad {
            let mut cal = WorkCalendar::official();
            let before = cal.clone();
            let err = cal.load_toml(text).unwrap_err();
            assert!(err.to_string().contains(message), "{text:?}: {err}");
            assert_eq!(cal, before, "{text:?} changed the calendar");
            assert!(WorkCalendar::from_toml(text).is_err());
        }
        let mut cal = WorkCalendar::official();
        let bad_year = YearSchedule {
            year: 2027,
            holidays: vec![],
            adjusted_workdays: vec![d("2027-01-05")],
        };
        assert!(cal.insert_year(bad_year).is_err());
        assert!(!cal.is_loaded(2027));
    }

    #[test]
    fn workdays_between_counts_both_ways() {
        let cal = WorkCalendar::official();
        assert_eq!(cal.workdays_between(d("2024-09-27"), d("2024-10-30")), 20);
        assert_eq!(cal.workdays_between(d("2024-10-30"), d("2024-09-27")), -20);
        assert_eq!(cal.workdays_between(d("2024-10-30"), d("2024-10-30")), 0);
        assert_eq!(cal.workdays_between(d("2024-10-01"), d("2024-10-07")), 0);
    }

    #[test]
    fn grouping_ranges() {
        let days = [
            (d("2024-10-01"), DayKind::Holiday("国庆节".into())),
            (d("2024-10-02"), DayKind::Holiday("国庆节".into())),
            (d("2024-10-05"), DayKind::Weekend),
            (d("2024-10-06"), DayKind::Weekend),
            (d("2024-10-12"), DayKind::Weekend),
        ];
        let text = join_cn(group_days(&days));
        assert_eq!(
            text,
            "2024-10-01至2024-10-02（国庆节）、2024-10-05至2024-10-06（周末）、2024-10-12（周六）"
        );
    }

    // ----- an independent reference, straight from the TOML text -----

    /// Working-day predicate built from `toml::Value`, not from the module's parser.
    struct Reference {
        holidays: Vec<(NaiveDate, NaiveDate)>,
        adjusted: Vec<NaiveDate>,
        years: Vec<i64>,
    }

    impl Reference {
        fn new(text: &str) -> Reference {
            let value: toml::Table = text.parse().unwrap();
            let date = |v: &toml::Value| -> NaiveDate {
                v.as_datetime().unwrap().to_string().parse().unwrap()
            };
            let mut r = Reference {
                holidays: vec![],
                adjusted: vec![],
                years: vec![],
            };
            for y in value["year"].as_array().unwrap() {
                r.years.push(y["year"].as_integer().unwrap());
                for h in y["holidays"].as_array().unwrap() {
                    r.holidays.push((date(&h["from"]), date(&h["to"])));
                }
                for a in y["adjusted_workdays"].as_array().unwrap() {
                    r.adjusted.push(date(a));
                }
            }
            r
        }

        fn is_workday(&self, x: NaiveDate) -> bool {
            if self.adjusted.contains(&x) {
                return true;
            }
            if self.holidays.iter().any(|(a, b)| *a <= x && x <= *b) {
                return false;
            }
            x.weekday().number_from_monday() <= 5
        }

        fn workdays_after(&self, start: NaiveDate, n: u32) -> (NaiveDate, bool) {
            let mut x = start;
            let mut left = n;
            let mut provisional = false;
            while left > 0 {
                x += chrono::Duration::days(1);
                provisional |= !self.years.contains(&i64::from(x.year()));
                if self.is_workday(x) {
                    left -= 1;
                }
            }
            (x, provisional)
        }
    }

    #[test]
    fn every_day_of_the_shipped_years_matches_the_reference() {
        let reference = Reference::new(OFFICIAL_CALENDAR_TOML);
        let cal = WorkCalendar::official();
        for x in d("2022-12-01")
            .iter_days()
            .take_while(|x| *x <= d("2027-02-01"))
        {
            assert_eq!(cal.is_workday(x), reference.is_workday(x), "{x}");
            assert_eq!(cal.day_kind(x).is_workday(), reference.is_workday(x), "{x}");
        }
    }

    proptest! {
        #[test]
        fn workdays_after_matches_the_reference(offset in 0i64..(4 * 365 + 1), n in 0u32..=100) {
            let reference = Reference::new(OFFICIAL_CALENDAR_TOML);
            let cal = WorkCalendar::official_ref();
            let start = d("2023-01-01") + chrono::Duration::days(offset);
            let (date, provisional) = reference.workdays_after(start, n);
            let ours = cal.workdays_after(start, n);
            prop_assert_eq!(ours, WorkdayCount { date, provisional });
            let e = cal.explain_workdays_after(start, n);
            prop_assert_eq!(e.date, date);
            prop_assert_eq!(e.provisional, provisional);
            // every day walked is either counted, skipped, or a plain weekday
            let walked = (date - start).num_days();
            prop_assert_eq!(cal.workdays_between(start, date), i64::from(n));
            prop_assert!(e.skipped.len() as i64 + i64::from(n) == walked);
        }
    }
}

//! HTTP shapes of working calendars and the deadline preview.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use dvc_domain::calendar::{
    CalendarError, CalendarSpec, DayOffReason, ExplanationStep, NamedDateSpec, OfficeSpanSpec, OfficeTiming,
};
use dvc_persistence::calendars::StoredCalendar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};
use crate::procedures::types::TimeUnitDto;
use crate::time::vn;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfficeSpanDto {
    #[schema(example = "07:00")]
    pub start: String,
    #[schema(example = "11:30")]
    pub end: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NamedDateDto {
    #[schema(example = "2026-02-16", format = Date)]
    pub date: String,
    #[schema(example = "Tết Nguyên đán")]
    pub name: String,
}

/// A working calendar as an admin writes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "working_weekdays": [1, 2, 3, 4, 5],
    "office_hours": [{"start": "07:00", "end": "11:30"}, {"start": "13:30", "end": "17:00"}],
    "same_day_cutoff": "15:00",
    "holidays": [{"date": "2026-01-01", "name": "Tết Dương lịch"}, {"date": "2026-01-02", "name": "Nghỉ bù Tết Dương lịch"}],
    "swapped_working_days": [{"date": "2026-01-10", "name": "Làm bù cho ngày nghỉ 02/01/2026"}],
    "valid_through": "2027-01-31",
    "unannounced": ["Tết Nguyên đán 2027", "Giỗ Tổ Hùng Vương 2027"]
}))]
pub struct CalendarIn {
    /// ISO weekday numbers that are working days (1 = Monday … 7 = Sunday).
    #[schema(example = json!([1, 2, 3, 4, 5]))]
    pub working_weekdays: Vec<i64>,
    /// Office-hour spans of a working day, ascending, not overlapping (`HH:MM`).
    pub office_hours: Vec<OfficeSpanDto>,
    /// Same-day procedures received before this time are due at that day's closing.
    #[schema(example = "15:00")]
    pub same_day_cutoff: String,
    /// Non-working dates (public holidays), each with its name.
    #[serde(default)]
    pub holidays: Vec<NamedDateDto>,
    /// Weekend dates declared working days (ngày làm bù).
    #[serde(default)]
    pub swapped_working_days: Vec<NamedDateDto>,
    /// The last date the holidays and swapped days are known for
    /// (`YYYY-MM-DD`): a due instant past it is provisional, and open
    /// dossiers due past it are recomputed when a later date is set. Absent:
    /// not stated (nothing is marked provisional; `/health/ready` warns).
    #[serde(default)]
    #[schema(example = "2027-01-31", format = Date)]
    pub valid_through: Option<String>,
    /// Holidays not in the calendar because the government has not announced
    /// their dates yet (Tết, the Hùng Kings' day, the day beside 2 September).
    #[serde(default)]
    #[schema(example = json!(["Tết Nguyên đán 2027"]))]
    pub unannounced: Vec<String>,
}

impl CalendarIn {
    pub fn into_spec(self) -> CalendarSpec {
        let named = |list: Vec<NamedDateDto>| list.into_iter().map(|d| NamedDateSpec::new(d.date, d.name)).collect();
        CalendarSpec {
            working_weekdays: self.working_weekdays,
            office_hours: self.office_hours.into_iter().map(|s| OfficeSpanSpec::new(s.start, s.end)).collect(),
            same_day_cutoff: self.same_day_cutoff,
            holidays: named(self.holidays),
            swapped_working_days: named(self.swapped_working_days),
            valid_through: self.valid_through,
            unannounced: self.unannounced,
        }
    }
}

/// A stored calendar.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarOut {
    #[schema(example = "default")]
    pub id: String,
    /// Increases with every change.
    pub version: i32,
    pub updated_at: DateTime<FixedOffset>,
    pub working_weekdays: Vec<i64>,
    pub office_hours: Vec<OfficeSpanDto>,
    pub same_day_cutoff: String,
    pub holidays: Vec<NamedDateDto>,
    pub swapped_working_days: Vec<NamedDateDto>,
    /// The last date the holidays are known for; absent: not stated.
    #[schema(example = "2027-01-31", format = Date)]
    pub valid_through: Option<String>,
    /// Holidays whose dates the government has not announced yet.
    pub unannounced: Vec<String>,
}

impl From<StoredCalendar> for CalendarOut {
    fn from(s: StoredCalendar) -> Self {
        let spec = s.calendar.to_spec();
        let named =
            |list: Vec<NamedDateSpec>| list.into_iter().map(|d| NamedDateDto { date: d.date, name: d.name }).collect();
        Self {
            id: s.id,
            version: s.version,
            updated_at: vn(s.updated_at),
            working_weekdays: spec.working_weekdays,
            office_hours: spec.office_hours.into_iter().map(|o| OfficeSpanDto { start: o.start, end: o.end }).collect(),
            same_day_cutoff: spec.same_day_cutoff,
            holidays: named(spec.holidays),
            swapped_working_days: named(spec.swapped_working_days),
            valid_through: spec.valid_through,
            unannounced: spec.unannounced,
        }
    }
}

pub fn calendar_errors(errors: Vec<CalendarError>) -> ApiError {
    ApiError::validation(
        errors.into_iter().map(|e| FieldError { field: e.field, code: e.code, message: e.message }).collect(),
    )
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PauseDto {
    /// When the clock stopped.
    #[schema(example = "2026-02-24T09:00:00+07:00")]
    pub from: DateTime<FixedOffset>,
    /// When it ran again.
    #[schema(example = "2026-02-26T14:00:00+07:00")]
    pub to: DateTime<FixedOffset>,
}

/// What a front-end asks before submission: when would it be due?
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "calendar": "default",
    "start": "2026-02-13T16:30:00+07:00",
    "amount": 5,
    "unit": "working_days",
    "same_day": false,
    "pauses": []
}))]
pub struct PreviewIn {
    /// Calendar id (default: `default`).
    #[serde(default = "default_calendar")]
    pub calendar: String,
    /// The reception instant (RFC 3339).
    pub start: DateTime<FixedOffset>,
    /// How many units (0–3650); ignored when `same_day` is true.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 3650)]
    pub amount: u32,
    pub unit: TimeUnitDto,
    /// Settled within the day: before the cut-off, due at closing.
    #[serde(default)]
    pub same_day: bool,
    /// Periods the clock stood still (supplement, payment).
    #[serde(default)]
    pub pauses: Vec<PauseDto>,
}

fn default_calendar() -> String {
    "default".to_owned()
}

/// The due instant, and the steps that explain it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "received_at": "2026-02-13T16:30:00+07:00",
    "due_at": "2026-02-27T16:30:00+07:00",
    "provisional": false,
    "valid_through": "2027-01-31",
    "explanation": [
        {"step": "received", "received_at": "2026-02-13T16:30:00+07:00", "counted_from": "2026-02-13T16:30:00+07:00", "timing": {"kind": "in_office_hours"}},
        {"step": "limit_counted", "amount": 5, "unit": "working_days", "office_seconds": 144000, "ends_at": "2026-02-27T16:30:00+07:00"},
        {"step": "day_skipped", "date": "2026-02-14", "reason": {"kind": "weekend"}},
        {"step": "day_skipped", "date": "2026-02-15", "reason": {"kind": "weekend"}},
        {"step": "day_skipped", "date": "2026-02-16", "reason": {"kind": "holiday", "name": "Tết Âm lịch Bính Ngọ (công chức nghỉ 14/02-22/02/2026)"}},
        {"step": "day_skipped", "date": "2026-02-17", "reason": {"kind": "holiday", "name": "Tết Âm lịch Bính Ngọ (công chức nghỉ 14/02-22/02/2026)"}},
        {"step": "day_skipped", "date": "2026-02-18", "reason": {"kind": "holiday", "name": "Tết Âm lịch Bính Ngọ (công chức nghỉ 14/02-22/02/2026)"}},
        {"step": "day_skipped", "date": "2026-02-19", "reason": {"kind": "holiday", "name": "Tết Âm lịch Bính Ngọ (công chức nghỉ 14/02-22/02/2026)"}},
        {"step": "day_skipped", "date": "2026-02-20", "reason": {"kind": "holiday", "name": "Tết Âm lịch Bính Ngọ (công chức nghỉ 14/02-22/02/2026)"}},
        {"step": "day_skipped", "date": "2026-02-21", "reason": {"kind": "weekend"}},
        {"step": "day_skipped", "date": "2026-02-22", "reason": {"kind": "weekend"}},
        {"step": "due", "due_at": "2026-02-27T16:30:00+07:00"}
    ]
}))]
pub struct PreviewOut {
    /// Where counting starts: the normalised reception instant.
    pub received_at: DateTime<FixedOffset>,
    pub due_at: DateTime<FixedOffset>,
    /// The due instant runs past the calendar's `valid_through`: a holiday
    /// not yet announced may still move it.
    pub provisional: bool,
    /// The last date the calendar's holidays are known for; absent: not stated.
    pub valid_through: Option<NaiveDate>,
    /// Ordered steps: the normalised start, days skipped and why, pauses
    /// added, `provisional` (with `valid_through`) when it applies, the result.
    pub explanation: Vec<ExplanationStepOut>,
}

/// One step of the explanation of a due instant, in the order they apply
/// (a union over `step`). Instants are in Vietnam time.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ExplanationStepOut {
    /// The reception instant, where it fell, and where counting starts.
    #[schema(title = "ReceivedStep")]
    Received { received_at: DateTime<FixedOffset>, counted_from: DateTime<FixedOffset>, timing: OfficeTimingOut },
    /// A day passed over because it is not a working day.
    #[schema(title = "DaySkippedStep")]
    DaySkipped { date: NaiveDate, reason: DayOffReasonOut },
    /// A weekend date that is a working day in exchange for a bridged holiday.
    #[schema(title = "SwappedWorkingDayStep")]
    SwappedWorkingDay { date: NaiveDate, name: String },
    /// A working-hours or working-days limit counted as office time.
    #[schema(title = "LimitCountedStep")]
    LimitCounted { amount: u32, unit: TimeUnitDto, office_seconds: u64, ends_at: DateTime<FixedOffset> },
    /// A calendar-days limit: the same wall-clock time `amount` days after the counting start.
    #[schema(title = "CalendarDaysCountedStep")]
    CalendarDaysCounted { amount: u32, lands_at: DateTime<FixedOffset> },
    /// A calendar-days landing outside office time, moved to the next office instant.
    #[schema(title = "MovedToOfficeHoursStep")]
    MovedToOfficeHours { from: DateTime<FixedOffset>, to: DateTime<FixedOffset>, timing: OfficeTimingOut },
    /// A same-day procedure: due at the closing of the reception day if
    /// received before the cut-off on a working day, else of the next working day.
    #[schema(title = "SameDayStep")]
    SameDay {
        /// The cut-off, `HH:MM:SS`.
        #[schema(value_type = String, example = "15:00:00")]
        cutoff: NaiveTime,
        before_cutoff_on_working_day: bool,
        due_at: DateTime<FixedOffset>,
    },
    /// A pause: the office time that passed during it (not counted again when
    /// it overlaps an earlier pause) moves the due instant forward.
    #[schema(title = "PauseAddedStep")]
    PauseAdded {
        from: DateTime<FixedOffset>,
        to: DateTime<FixedOffset>,
        office_seconds: u64,
        due_at: DateTime<FixedOffset>,
    },
    /// The due instant runs past `valid_through`, the last date the
    /// calendar's holidays are known for: it is provisional.
    #[schema(title = "ProvisionalStep")]
    Provisional { valid_through: NaiveDate },
    /// The due instant.
    #[schema(title = "DueStep")]
    Due { due_at: DateTime<FixedOffset> },
}

/// Where an instant falls relative to office hours (a union over `kind`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OfficeTimingOut {
    /// Inside an office span: nothing moves.
    #[schema(title = "InOfficeHours")]
    InOfficeHours,
    /// Before the day's opening: moves to the opening.
    #[schema(title = "BeforeOpening")]
    BeforeOpening,
    /// Between two spans: moves to the next span.
    #[schema(title = "MiddayBreak")]
    MiddayBreak,
    /// At or after the day's closing: moves to the next working day's opening.
    #[schema(title = "AfterClosing")]
    AfterClosing,
    /// On a day off: moves to the next working day's opening.
    #[schema(title = "DayOff")]
    DayOff { reason: DayOffReasonOut },
}

/// Why a date is not a working day (a union over `kind`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayOffReasonOut {
    /// A weekday outside the working week.
    #[schema(title = "Weekend")]
    Weekend,
    /// A listed holiday, with its name.
    #[schema(title = "Holiday")]
    Holiday { name: String },
}

impl From<DayOffReason> for DayOffReasonOut {
    fn from(r: DayOffReason) -> Self {
        match r {
            DayOffReason::Weekend => Self::Weekend,
            DayOffReason::Holiday { name } => Self::Holiday { name },
        }
    }
}

impl From<OfficeTiming> for OfficeTimingOut {
    fn from(t: OfficeTiming) -> Self {
        match t {
            OfficeTiming::InOfficeHours => Self::InOfficeHours,
            OfficeTiming::BeforeOpening => Self::BeforeOpening,
            OfficeTiming::MiddayBreak => Self::MiddayBreak,
            OfficeTiming::AfterClosing => Self::AfterClosing,
            OfficeTiming::DayOff { reason } => Self::DayOff { reason: reason.into() },
        }
    }
}

impl From<ExplanationStep> for ExplanationStepOut {
    fn from(s: ExplanationStep) -> Self {
        use ExplanationStep as S;
        match s {
            S::Received { received_at, counted_from, timing } => {
                Self::Received { received_at, counted_from, timing: timing.into() }
            }
            S::DaySkipped { date, reason } => Self::DaySkipped { date, reason: reason.into() },
            S::SwappedWorkingDay { date, name } => Self::SwappedWorkingDay { date, name },
            S::LimitCounted { amount, unit, office_seconds, ends_at } => {
                Self::LimitCounted { amount, unit: unit.into(), office_seconds, ends_at }
            }
            S::CalendarDaysCounted { amount, lands_at } => Self::CalendarDaysCounted { amount, lands_at },
            S::MovedToOfficeHours { from, to, timing } => Self::MovedToOfficeHours { from, to, timing: timing.into() },
            S::SameDay { cutoff, before_cutoff_on_working_day, due_at } => {
                Self::SameDay { cutoff, before_cutoff_on_working_day, due_at }
            }
            S::PauseAdded { from, to, office_seconds, due_at } => Self::PauseAdded { from, to, office_seconds, due_at },
            S::Provisional { valid_through } => Self::Provisional { valid_through },
            S::Due { due_at } => Self::Due { due_at },
        }
    }
}

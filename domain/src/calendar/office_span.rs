//! One span of office hours within a working day.

use chrono::NaiveTime;

use super::local_time::seconds_of;

/// Office hours from `start` (inclusive) to `end` (exclusive), in Vietnam time.
///
/// A [`super::WorkingCalendar`] only holds spans with `start < end`, in
/// ascending order and not overlapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OfficeSpan {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl OfficeSpan {
    /// The span, if `start < end`.
    pub fn new(start: NaiveTime, end: NaiveTime) -> Option<Self> {
        (start < end).then_some(Self { start, end })
    }

    pub(crate) fn start_secs(&self) -> u32 {
        seconds_of(self.start)
    }

    pub(crate) fn end_secs(&self) -> u32 {
        seconds_of(self.end)
    }

    /// Office seconds of this span that fall within `[from, to)` seconds of the day.
    pub(crate) fn overlap_secs(&self, from: u32, to: u32) -> u32 {
        let start = self.start_secs().max(from);
        let end = self.end_secs().min(to);
        end.saturating_sub(start)
    }

    /// Length of the span in seconds.
    pub fn seconds(&self) -> u32 {
        self.end_secs().saturating_sub(self.start_secs())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn morning_span_lasts_four_and_a_half_hours() {
        assert_eq!(OfficeSpan::new(t(7, 0), t(11, 30)).unwrap().seconds(), 16_200);
    }

    #[test]
    fn a_span_must_start_before_it_ends() {
        assert_eq!(OfficeSpan::new(t(11, 30), t(11, 30)), None);
    }

    #[test]
    fn overlap_counts_only_the_common_part() {
        let span = OfficeSpan::new(t(7, 0), t(11, 30)).unwrap();
        assert_eq!(span.overlap_secs(10 * 3600, 12 * 3600), 5_400);
        assert_eq!(span.overlap_secs(12 * 3600, 13 * 3600), 0);
    }
}

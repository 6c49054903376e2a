//! Throughput of the deadline engine: `due_instant(start, 15, WorkingDays, false)`
//! for ~5 million different reception instants spread over 2026, on a
//! calendar with 20 holidays and a swapped working day, on one core.
//!
//! Run: `cargo run --release -p dvc-domain --example deadline_bench`

use std::error::Error;
use std::hint::black_box;
use std::time::Instant;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use dvc_domain::calendar::{CalendarSpec, NamedDateSpec, WorkingCalendar, VIETNAM};
use dvc_domain::time_limit::TimeUnit;

const COMPUTATIONS: u64 = 5_000_000;
const EXPLAINED: u64 = 200_000;
const YEAR_SECONDS: u64 = 365 * 86_400;
/// A prime stride, coprime with the year's seconds: every start instant differs
/// and consecutive ones land far apart in the year.
const STRIDE: u64 = 2_654_435_761;

fn calendar() -> Result<WorkingCalendar, Box<dyn Error>> {
    let mut holidays = vec![
        NamedDateSpec::new("2026-01-01", "Tết Dương lịch"),
        NamedDateSpec::new("2026-01-02", "Nghỉ liền Tết Dương lịch"),
    ];
    for day in 14..=22 {
        holidays.push(NamedDateSpec::new(format!("2026-02-{day}"), "Tết Nguyên đán"));
    }
    for (date, name) in [
        ("2026-03-10", "Synthetic holiday (bench only)"),
        ("2026-04-26", "Giỗ Tổ Hùng Vương"),
        ("2026-04-27", "Nghỉ bù Giỗ Tổ Hùng Vương"),
        ("2026-04-30", "Ngày Giải phóng miền Nam"),
        ("2026-05-01", "Ngày Quốc tế Lao động"),
        ("2026-07-27", "Synthetic holiday (bench only)"),
        ("2026-09-01", "Quốc khánh (nghỉ liền)"),
        ("2026-09-02", "Quốc khánh"),
        ("2026-11-20", "Synthetic holiday (bench only)"),
    ] {
        holidays.push(NamedDateSpec::new(date, name));
    }
    let spec = CalendarSpec {
        holidays,
        swapped_working_days: vec![NamedDateSpec::new("2026-01-10", "Làm bù ngày 02/01")],
        ..CalendarSpec::default()
    };
    WorkingCalendar::new(spec).map_err(|errors| format!("invalid bench calendar: {errors:?}").into())
}

fn start_instant(year_start: DateTime<Utc>, i: u64) -> DateTime<Utc> {
    let offset = i.wrapping_mul(STRIDE) % YEAR_SECONDS;
    year_start + TimeDelta::seconds(offset as i64)
}

fn main() -> Result<(), Box<dyn Error>> {
    let calendar = calendar()?;
    let year_start = VIETNAM
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .ok_or("2026-01-01 00:00 +07:00 exists")?
        .with_timezone(&Utc);
    println!(
        "calendar: {} holidays, {} swapped working day",
        calendar.holidays().len(),
        calendar.swapped_working_days().len()
    );

    // Warm-up.
    let mut checksum = 0i64;
    for i in 0..COMPUTATIONS / 10 {
        let due = calendar.due_instant(black_box(start_instant(year_start, i)), 15, TimeUnit::WorkingDays, false);
        checksum = checksum.wrapping_add(black_box(due).timestamp());
    }

    let began = Instant::now();
    for i in 0..COMPUTATIONS {
        let start = black_box(start_instant(year_start, i));
        let due = calendar.due_instant(start, black_box(15), black_box(TimeUnit::WorkingDays), black_box(false));
        checksum = checksum.wrapping_add(black_box(due).timestamp());
    }
    let elapsed = began.elapsed();
    let rate = COMPUTATIONS as f64 / elapsed.as_secs_f64();
    println!(
        "due_instant, 15 working days: {COMPUTATIONS} computations in {:.3} s = {:.0} per second ({:.0} ns each)",
        elapsed.as_secs_f64(),
        rate,
        elapsed.as_nanos() as f64 / COMPUTATIONS as f64
    );

    let began = Instant::now();
    let mut steps = 0usize;
    for i in 0..EXPLAINED {
        let deadline =
            calendar.explain_deadline(black_box(start_instant(year_start, i)), 15, TimeUnit::WorkingDays, false, &[]);
        steps += black_box(deadline).steps.len();
    }
    let elapsed = began.elapsed();
    println!(
        "explain_deadline, 15 working days: {EXPLAINED} computations in {:.3} s = {:.0} per second ({:.1} steps each)",
        elapsed.as_secs_f64(),
        EXPLAINED as f64 / elapsed.as_secs_f64(),
        steps as f64 / EXPLAINED as f64
    );
    println!("checksum {checksum}");
    Ok(())
}

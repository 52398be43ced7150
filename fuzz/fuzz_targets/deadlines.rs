//! Calendar and deadline arithmetic: a calendar file of any text is loaded or refused; from
//! any date of the era, counting working days is monotone and lands after the start; the
//! reply deadline of any sequence of clock events (in any order, on any dates, with any
//! policy) is computed, never a panic.
#![no_main]

use chrono::{Duration, NaiveDate};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use ogi_core::calendar::{WorkCalendar, check_calendar_file};
use ogi_core::case::ConsultationKind;
use ogi_core::deadline::{self, ClockEvent, DeadlinePolicy};

/// A date from 2008 (the regulations' era) to about 2050.
fn date(u: &mut Unstructured) -> Result<NaiveDate> {
    let days: u16 = u.int_in_range(0..=366 * 42)?;
    Ok(NaiveDate::from_ymd_opt(2008, 1, 1).unwrap() + Duration::days(days.into()))
}

fn event(u: &mut Unstructured) -> Result<ClockEvent> {
    let on = date(u)?;
    let kind = *u.choose(ConsultationKind::ALL)?;
    Ok(match u.int_in_range(0..=6u8)? {
        0 => ClockEvent::CorrectionRequested { on },
        1 => ClockEvent::Corrected { on },
        2 => ClockEvent::ConsultationStarted { on, kind },
        3 => ClockEvent::ConsultationReplied { on, kind },
        4 => ClockEvent::FeeNotified { on },
        5 => ClockEvent::FeePaid { on },
        _ => ClockEvent::Extended {
            on,
            days: u.int_in_range(0..=400)?,
        },
    })
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let mut calendar = WorkCalendar::official();
    // A calendar file of any text: loaded (over the official years) or refused.
    let text: &str = u.arbitrary()?;
    if check_calendar_file(text).is_ok() {
        let _ = calendar.load_toml(text);
    }
    let start = date(&mut u)?;
    let n: u32 = u.int_in_range(0..=500)?;
    let a = calendar.workdays_after(start, n);
    let b = calendar.workdays_after(start, n + 1);
    assert!(b.date > a.date, "{start} +{n}: {a:?} then {b:?}");
    assert!(a.date >= start);
    let between = calendar.workdays_between(start, a.date);
    assert!(between >= 0);
    let _ = calendar.explain_workdays_after(start, n);

    let policy = DeadlinePolicy {
        reply_days: u.int_in_range(0..=60)?,
        correction_notice_days: u.int_in_range(0..=30)?,
        correction_period_days: u.int_in_range(0..=30)?,
        consultation_days: u.int_in_range(0..=30)?,
        fee_payment_days: u.int_in_range(0..=30)?,
        fee_notice_pauses_clock: u.arbitrary()?,
        max_extension_days: u.int_in_range(0..=30)?,
    };
    let received_on = date(&mut u)?;
    let mut events = Vec::new();
    while events.len() < 12 && !u.is_empty() {
        events.push(event(&mut u)?);
    }
    let reply = deadline::reply_deadline(&calendar, &policy, received_on, &events);
    let _ = reply.explain();
    let _ = reply.working_days_left(&calendar, date(&mut u)?);
    let _ = deadline::fee_payment_due(&calendar, &policy, received_on);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});

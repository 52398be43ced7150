//! Statutory time limits (法定期限) of an application and how they were computed.
//!
//! Every limit is counted in working days on a [`WorkCalendar`] and from dates the case
//! records; nothing here reads the wall clock. The limits and the project rules are
//! settings of [`DeadlinePolicy`], so that an agency can follow its province's practice.
//!
//! # How the reply deadline (答复期限) is computed — project rule
//!
//! - The reply clock starts on the receipt date. A period of N working days starting on
//!   day D ends on the N-th working day after D; D itself is not counted (Civil Code
//!   Art. 201).
//! - A correction notice (补正通知, Art. 30) stops the clock: the case awaits correction and
//!   has no reply deadline. `Corrected { on }` starts a fresh period of
//!   [`DeadlinePolicy::reply_days`] from `on`: the days elapsed before are discarded, and so
//!   are extensions granted before it.
//! - Pauses: a working day `d` does not count when it lies in a pause. A consultation
//!   (征求第三方意见 / 征求其他机关意见, Art. 32–34) pauses `consulted_on < d ≤ replied_on`: the
//!   day of the request still counts, the day of the reply does not. Overlapping
//!   consultations pause the union of their days, never a day twice. When
//!   [`DeadlinePolicy::fee_notice_pauses_clock`] is set, a fee notice (收费通知) pauses
//!   `notified_on < d ≤ paid_on` in the same way. A pause that has not ended (no reply, no
//!   payment yet) leaves the case paused with no deadline, and the explanation says how
//!   many working days remained when it paused. A pause that begins after the deadline has
//!   been reached changes nothing.
//! - An extension (延期答复, Art. 33) adds its days to the limit. That a case is extended
//!   at most once, by at most [`DeadlinePolicy::max_extension_days`], is the case state
//!   machine's rule; here every extension given is summed (one above the maximum is
//!   flagged in the explanation).
//! - The deadline is found by walking the working days after the (re)start date, skipping
//!   paused days, until `reply_days` plus the extensions have counted. It is provisional
//!   when a day walked lies in a year whose calendar is not loaded.
//!
//! Events are taken in date order; events of the same date keep the order they were given.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::{DayKind, PROVISIONAL_NOTE, WorkCalendar, WorkdayCount, group_days, join_cn};

/// The time limits, in working days, and the project rules of the procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeadlinePolicy {
    /// Reply within this many working days of receipt (Art. 33): 20.
    pub reply_days: u32,
    /// The correction notice is sent within this many working days of receipt (Art. 30): 7.
    pub correction_notice_days: u32,
    /// The applicant's default period to correct (project rule): 15.
    pub correction_period_days: u32,
    /// A consulted third party or agency answers within this many working days (Art. 32, 34): 15.
    pub consultation_days: u32,
    /// The applicant pays within this many working days from the day after the notice: 20.
    pub fee_payment_days: u32,
    /// Whether the reply clock pauses while a fee notice is outstanding (project rule): true.
    pub fee_notice_pauses_clock: bool,
    /// The longest extension (Art. 33): 20.
    pub max_extension_days: u32,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy {
            reply_days: 20,
            correction_notice_days: 7,
            correction_period_days: 15,
            consultation_days: 15,
            fee_payment_days: 20,
            fee_notice_pauses_clock: true,
            max_extension_days: 20,
        }
    }
}

/// Whom the agency consults; the case state machine owns the type.
pub use crate::case::ConsultationKind;

/// A dated event of the case that affects the reply clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum ClockEvent {
    /// A correction notice (补正通知) was sent.
    CorrectionRequested { on: NaiveDate },
    /// The corrected application was received.
    Corrected { on: NaiveDate },
    /// A consultation was sent.
    ConsultationStarted {
        on: NaiveDate,
        kind: ConsultationKind,
    },
    /// The consulted party answered (or its period ran out).
    ConsultationReplied {
        on: NaiveDate,
        kind: ConsultationKind,
    },
    /// A fee notice (收费通知) was sent.
    FeeNotified { on: NaiveDate },
    /// The fee was paid.
    FeePaid { on: NaiveDate },
    /// The reply period was extended (延期答复) by `days` working days.
    Extended { on: NaiveDate, days: u32 },
}

impl ClockEvent {
    /// The date of the event.
    pub fn on(&self) -> NaiveDate {
        match self {
            ClockEvent::CorrectionRequested { on }
            | ClockEvent::Corrected { on }
            | ClockEvent::ConsultationStarted { on, .. }
            | ClockEvent::ConsultationReplied { on, .. }
            | ClockEvent::FeeNotified { on }
            | ClockEvent::FeePaid { on }
            | ClockEvent::Extended { on, .. } => *on,
        }
    }
}

/// Where the reply clock stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ClockState {
    /// Counting: the case has a reply deadline.
    Running,
    /// Paused while a consultation is outstanding.
    PausedForConsultation,
    /// Paused while a fee notice is outstanding.
    PausedForFee,
    /// Stopped until the applicant corrects the application; `correction_due` is the end of
    /// the applicant's period.
    AwaitingCorrection { correction_due: Option<NaiveDate> },
}

/// One sentence of the explanation of a deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineStep {
    pub on: NaiveDate,
    pub text: String,
}

/// The reply deadline of a case and how it was computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplyDeadline {
    pub state: ClockState,
    /// `None` while the clock is paused or awaits correction.
    pub due_on: Option<NaiveDate>,
    /// A day walked (or the correction period) lies in a year whose calendar is not loaded.
    pub provisional: bool,
    pub steps: Vec<DeadlineStep>,
}

impl ReplyDeadline {
    /// The explanation, one sentence a line, in Chinese.
    pub fn explain(&self) -> String {
        self.steps
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Working days from `today` to the deadline: the working days in `(today, due_on]`, 0 on
    /// the due date itself; negative when overdue (minus the working days from the day after
    /// `due_on` to `today`, at least 1). `None` when there is no deadline.
    pub fn working_days_left(&self, cal: &WorkCalendar, today: NaiveDate) -> Option<i64> {
        let due = self.due_on?;
        if today <= due {
            Some(cal.workdays_between(today, due))
        } else {
            Some(cal.workdays_between(due, today).max(1).saturating_neg())
        }
    }
}

/// The last day to send a correction notice: 7 working days after receipt (Art. 30).
pub fn correction_notice_due(
    cal: &WorkCalendar,
    policy: &DeadlinePolicy,
    received_on: NaiveDate,
) -> WorkdayCount {
    cal.workdays_after(received_on, policy.correction_notice_days)
}

/// The end of the applicant's period to correct (project rule: 15 working days after the
/// notice).
pub fn correction_period_due(
    cal: &WorkCalendar,
    policy: &DeadlinePolicy,
    notified_on: NaiveDate,
) -> WorkdayCount {
    cal.workdays_after(notified_on, policy.correction_period_days)
}

/// The end of a consulted party's period: 15 working days after the request (Art. 32, 34).
pub fn consultation_reply_due(
    cal: &WorkCalendar,
    policy: &DeadlinePolicy,
    consulted_on: NaiveDate,
) -> WorkdayCount {
    cal.workdays_after(consulted_on, policy.consultation_days)
}

/// The end of the applicant's period to pay: 20 working days "from the day after the
/// notice", which is the general rule (the notice day is not counted), so the 20th working
/// day after `notified_on`.
pub fn fee_payment_due(
    cal: &WorkCalendar,
    policy: &DeadlinePolicy,
    notified_on: NaiveDate,
) -> WorkdayCount {
    cal.workdays_after(notified_on, policy.fee_payment_days)
}

/// What pauses the reply clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PauseCause {
    Consultation(ConsultationKind),
    Fee,
}

/// A pause of the clock: the working days in `(from, to]` do not count; `to = None` while
/// it has not ended.
#[derive(Debug, Clone, Copy)]
struct Pause {
    cause: PauseCause,
    from: NaiveDate,
    to: Option<NaiveDate>,
}

fn step(steps: &mut Vec<DeadlineStep>, on: NaiveDate, text: String) {
    steps.push(DeadlineStep { on, text });
}

/// The reply deadline (答复期限, Art. 33) of an application received on `received_on`,
/// given the clock events of the case; see the module documentation for the rules.
pub fn reply_deadline(
    cal: &WorkCalendar,
    policy: &DeadlinePolicy,
    received_on: NaiveDate,
    events: &[ClockEvent],
) -> ReplyDeadline {
    let mut sorted: Vec<&ClockEvent> = events.iter().collect();
    sorted.sort_by_key(|e| e.on()); // stable: same-day events keep their order

    let mut steps = Vec::new();
    step(
        &mut steps,
        received_on,
        format!(
            "{received_on} 收到申请，答复期限{}个工作日起算",
            policy.reply_days
        ),
    );

    let mut start = received_on;
    let mut extension: u32 = 0;
    let mut correction_requested: Option<NaiveDate> = None;
    let mut pauses: Vec<Pause> = Vec::new();

    for event in sorted {
        match *event {
            ClockEvent::CorrectionRequested { on } => {
                correction_requested = Some(on);
                step(
                    &mut steps,
                    on,
                    format!("{on} 发出补正通知，答复期限中止，待补正"),
                );
            }
            ClockEvent::Corrected { on } => {
                correction_requested = None;
                start = on;
                extension = 0;
                step(
                    &mut steps,
                    on,
                    format!(
                        "{on} 收到补正材料，答复期限重新起算（{}个工作日，此前已计的日数不再计算）",
                        policy.reply_days
                    ),
                );
            }
            ClockEvent::ConsultationStarted { on, kind } => {
                pauses.push(Pause {
                    cause: PauseCause::Consultation(kind),
                    from: on,
                    to: None,
                });
                step(
                    &mut steps,
                    on,
                    format!(
                        "{on} {}，征求意见期间不计入答复期限（当日仍计入）",
                        kind.label()
                    ),
                );
            }
            ClockEvent::ConsultationReplied { on, kind } => {
                let open = pauses.iter_mut().find(|p| {
                    p.cause == PauseCause::Consultation(kind) && p.to.is_none() && p.from <= on
                });
                match open {
                    Some(pause) => {
                        pause.to = Some(on);
                        let from = pause.from;
                        step(&mut steps, on, format!("{on} 收到{}意见", kind.party()));
                        step(
                            &mut steps,
                            on,
                            format!(
                                "{}期间（{from}至{on}）不计入，计{}个工作日",
                                kind.label(),
                                cal.workdays_between(from, on)
                            ),
                        );
                    }
                    None => step(
                        &mut steps,
                        on,
                        format!(
                            "{on} 收到{}意见（未找到对应的{}记录，不影响答复期限）",
                            kind.party(),
                            kind.label()
                        ),
                    ),
                }
            }
            ClockEvent::FeeNotified { on } => {
                if policy.fee_notice_pauses_clock {
                    pauses.push(Pause {
                        cause: PauseCause::Fee,
                        from: on,
                        to: None,
                    });
                    step(
                        &mut steps,
                        on,
                        format!("{on} 发出收费通知，缴费期间不计入答复期限（当日仍计入）"),
                    );
                } else {
                    step(
                        &mut steps,
                        on,
                        format!("{on} 发出收费通知（按本机关规则，答复期限不中止）"),
                    );
                }
            }
            ClockEvent::FeePaid { on } => {
                let open = pauses
                    .iter_mut()
                    .find(|p| p.cause == PauseCause::Fee && p.to.is_none() && p.from <= on);
                match open {
                    Some(pause) => {
                        pause.to = Some(on);
                        let from = pause.from;
                        step(&mut steps, on, format!("{on} 申请人缴纳信息处理费"));
                        step(
                            &mut steps,
                            on,
                            format!(
                                "收费通知期间（{from}至{on}）不计入，计{}个工作日",
                                cal.workdays_between(from, on)
                            ),
                        );
                    }
                    None => step(&mut steps, on, format!("{on} 申请人缴纳信息处理费")),
                }
            }
            ClockEvent::Extended { on, days } => {
                extension = extension.saturating_add(days);
                let total = policy.reply_days.saturating_add(extension);
                let warning = if extension > policy.max_extension_days {
                    format!(
                        "（超过最长延期{}个工作日，请核实）",
                        policy.max_extension_days
                    )
                } else {
                    String::new()
                };
                step(
                    &mut steps,
                    on,
                    format!("{on} 延期{days}个工作日，答复期限共{total}个工作日{warning}"),
                );
            }
        }
    }

    if let Some(notified_on) = correction_requested {
        let due = correction_period_due(cal, policy, notified_on);
        let note = if due.provisional {
            PROVISIONAL_NOTE
        } else {
            ""
        };
        step(
            &mut steps,
            due.date,
            format!(
                "补正期限：申请人应于{}前补正（{}个工作日）{note}；收到补正材料后答复期限重新起算",
                due.date, policy.correction_period_days
            ),
        );
        return ReplyDeadline {
            state: ClockState::AwaitingCorrection {
                correction_due: Some(due.date),
            },
            due_on: None,
            provisional: due.provisional,
            steps,
        };
    }

    walk(cal, policy, start, extension, &pauses, steps)
}

/// Walk the working days after `start`, skipping paused days, until the limit is reached or
/// an open pause begins.
fn walk(
    cal: &WorkCalendar,
    policy: &DeadlinePolicy,
    start: NaiveDate,
    extension: u32,
    pauses: &[Pause],
    mut steps: Vec<DeadlineStep>,
) -> ReplyDeadline {
    let limit = policy.reply_days.saturating_add(extension);
    let open = pauses
        .iter()
        .filter(|p| p.to.is_none())
        .min_by_key(|p| p.from);
    let closed: Vec<(NaiveDate, NaiveDate)> = pauses
        .iter()
        .filter_map(|p| p.to.map(|to| (p.from, to)))
        .collect();

    let mut date = start;
    let mut counted: u32 = 0;
    let mut excluded: u32 = 0;
    let mut provisional = false;
    let mut holidays: Vec<(NaiveDate, DayKind)> = Vec::new();
    let mut adjusted: Vec<NaiveDate> = Vec::new();
    let mut paused_by: Option<Pause> = None;

    while counted < limit {
        let Some(next) = date.succ_opt() else {
            provisional = true;
            break;
        };
        if let Some(pause) = open
            && next > pause.from
        {
            paused_by = Some(*pause);
            break;
        }
        date = next;
        provisional |= !cal.is_loaded(date.year());
        let kind = cal.day_kind(date);
        if !kind.is_workday() {
            if matches!(kind, DayKind::Holiday(_)) {
                holidays.push((date, kind));
            }
            continue;
        }
        if closed.iter().any(|(from, to)| *from < date && date <= *to) {
            excluded += 1;
            continue;
        }
        counted += 1;
        if kind == DayKind::AdjustedWorkday {
            adjusted.push(date);
        }
    }

    if closed.len() > 1 && excluded > 0 {
        step(
            &mut steps,
            date,
            format!("以上各期间合计不计入{excluded}个工作日（重叠的日子只计一次）"),
        );
    }
    if let Some(first) = holidays.first() {
        step(
            &mut steps,
            first.0,
            format!("跳过节假日：{}", join_cn(group_days(&holidays))),
        );
    }
    if let Some(first) = adjusted.first() {
        step(
            &mut steps,
            *first,
            format!("计入调休上班日：{}", join_cn(&adjusted)),
        );
    }

    match paused_by {
        Some(pause) => {
            let remaining = limit - counted;
            let (state, text) = match pause.cause {
                PauseCause::Consultation(kind) => {
                    let due = consultation_reply_due(cal, policy, pause.from);
                    (
                        ClockState::PausedForConsultation,
                        format!(
                            "{} 起{}，尚未收到答复，答复期限暂停，暂停时剩余{remaining}个工作日（{}应于{}前答复）",
                            pause.from,
                            kind.label(),
                            kind.party(),
                            due.date
                        ),
                    )
                }
                PauseCause::Fee => {
                    let due = fee_payment_due(cal, policy, pause.from);
                    (
                        ClockState::PausedForFee,
                        format!(
                            "{} 起收费通知尚未缴费，答复期限暂停，暂停时剩余{remaining}个工作日（申请人应于{}前缴费）",
                            pause.from, due.date
                        ),
                    )
                }
            };
            let note = if provisional { PROVISIONAL_NOTE } else { "" };
            step(&mut steps, pause.from, format!("{text}{note}"));
            ReplyDeadline {
                state,
                due_on: None,
                provisional,
                steps,
            }
        }
        None => {
            let note = if provisional { PROVISIONAL_NOTE } else { "" };
            step(&mut steps, date, format!("答复期限：{date}{note}"));
            ReplyDeadline {
                state: ClockState::Running,
                due_on: Some(date),
                provisional,
                steps,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cal() -> &'static WorkCalendar {
        WorkCalendar::official_ref()
    }

    fn policy() -> DeadlinePolicy {
        DeadlinePolicy::default()
    }

    use ClockEvent::*;
    use ConsultationKind::*;

    #[test]
    fn policy_defaults_and_partial_config() {
        let p = policy();
        assert_eq!(
            (
                p.reply_days,
                p.correction_notice_days,
                p.correction_period_days,
                p.consultation_days
            ),
            (20, 7, 15, 15)
        );
        assert_eq!(
            (
                p.fee_payment_days,
                p.fee_notice_pauses_clock,
                p.max_extension_days
            ),
            (20, true, 20)
        );
        let p: DeadlinePolicy = serde_json::from_str(
            r#"{"correction_period_days": 10, "fee_notice_pauses_clock": false}"#,
        )
        .unwrap();
        assert_eq!(p.correction_period_days, 10);
        assert!(!p.fee_notice_pauses_clock);
        assert_eq!(p.reply_days, 20);
    }

    #[test]
    fn plain_twenty_days_across_national_day_2024() {
        // 2024-09-27 (Fri): 09-29 (Sun, 调休) 1, 09-30 2, [10-01..07 国庆], 10-08..11 3–6,
        // 10-12 (Sat, 调休) 7, 10-14..18 8–12, 10-21..25 13–17, 10-28..30 18–20.
        let r = reply_deadline(cal(), &policy(), d("2024-09-27"), &[]);
        assert_eq!(r.state, ClockState::Running);
        assert_eq!(r.due_on, Some(d("2024-10-30")));
        assert!(!r.provisional);
        assert_eq!(
            r.explain(),
            "2024-09-27 收到申请，答复期限20个工作日起算\n\
             跳过节假日：2024-10-01至2024-10-07（国庆节）\n\
             计入调休上班日：2024-09-29、2024-10-12\n\
             答复期限：2024-10-30"
        );
        assert_eq!(r.steps.last().unwrap().on, d("2024-10-30"));
    }

    #[test]
    fn correction_stops_and_restarts() {
        let p = policy();
        // notice 2024-03-07 (Thu): 03-08 1, 03-11..15 2–6, 03-18..22 7–11, 03-25..28 12–15.
        let r = reply_deadline(
            cal(),
            &p,
            d("2024-03-05"),
            &[CorrectionRequested {
                on: d("2024-03-07"),
            }],
        );
        assert_eq!(
            r.state,
            ClockState::AwaitingCorrection {
                correction_due: Some(d("2024-03-28"))
            }
        );
        assert_eq!(r.due_on, None);
        assert!(
            r.explain()
                .contains("2024-03-07 发出补正通知，答复期限中止，待补正")
        );
        assert!(r.explain().contains("申请人应于2024-03-28前补正"));

        // corrected 2024-03-12 (Tue): 03-13..15 1–3, 03-18..22 4–8, 03-25..29 9–13,
        // 04-01..03 14–16, [04-04..06 清明], 04-07 (Sun, 调休) 17, 04-08..10 18–20.
        let events = [
            CorrectionRequested {
                on: d("2024-03-07"),
            },
            Corrected {
                on: d("2024-03-12"),
            },
        ];
        let r = reply_deadline(cal(), &p, d("2024-03-05"), &events);
        assert_eq!(r.state, ClockState::Running);
        assert_eq!(r.due_on, Some(d("2024-04-10")));
        let text = r.explain();
        assert!(
            text.contains("2024-03-05 收到申请，答复期限20个工作日起算"),
            "{text}"
        );
        assert!(
            text.contains("2024-03-12 收到补正材料，答复期限重新起算"),
            "{text}"
        );
        assert!(
            text.contains("跳过节假日：2024-04-04至2024-04-06（清明节）"),
            "{text}"
        );
        assert!(text.contains("计入调休上班日：2024-04-07"), "{text}");
        assert!(text.ends_with("答复期限：2024-04-10"), "{text}");

        // an extension before the correction belongs to the discarded period
        let events = [
            Extended {
                on: d("2024-03-06"),
                days: 20,
            },
            CorrectionRequested {
                on: d("2024-03-07"),
            },
            Corrected {
                on: d("2024-03-12"),
            },
        ];
        assert_eq!(
            reply_deadline(cal(), &p, d("2024-03-05"), &events).due_on,
            Some(d("2024-04-10"))
        );
    }

    #[test]
    fn third_party_consultation_pauses() {
        // 2024-03-05 (Tue): 03-06..08 1–3, 03-11..15 4–8, 03-18..21 9–12 (03-21 counts),
        // paused 03-22, 03-25..28 (5 days), 03-29 13, 04-01..03 14–16, [清明],
        // 04-07 17, 04-08..10 18–20.
        let events = [
            ConsultationStarted {
                on: d("2024-03-21"),
                kind: ThirdParty,
            },
            ConsultationReplied {
                on: d("2024-03-28"),
                kind: ThirdParty,
            },
        ];
        let r = reply_deadline(cal(), &policy(), d("2024-03-05"), &events);
        assert_eq!(r.due_on, Some(d("2024-04-10")));
        assert_eq!(r.state, ClockState::Running);
        let text = r.explain();
        assert!(
            text.contains("征求第三方意见期间（2024-03-21至2024-03-28）不计入，计5个工作日"),
            "{text}"
        );
        // without it: 03-22 13, 03-25..29 14–18, 04-01..02 19–20
        assert_eq!(
            reply_deadline(cal(), &policy(), d("2024-03-05"), &[]).due_on,
            Some(d("2024-04-02"))
        );
    }

    #[test]
    fn overlapping_consultations_are_a_union() {
        // third party (03-21, 03-28], other agency (03-25, 04-03]: union (03-21, 04-03] =
        // 03-22, 03-25..29, 04-01..03 = 9 working days (not 5 + 7 = 12).
        // 12 counted by 03-21; then 04-07 (调休) 13, 04-08..12 14–18, 04-15..16 19–20.
        let events = [
            ConsultationStarted {
                on: d("2024-03-21"),
                kind: ThirdParty,
            },
            ConsultationStarted {
                on: d("2024-03-25"),
                kind: OtherAgency,
            },
            ConsultationReplied {
                on: d("2024-03-28"),
                kind: ThirdParty,
            },
            ConsultationReplied {
                on: d("2024-04-03"),
                kind: OtherAgency,
            },
        ];
        let r = reply_deadline(cal(), &policy(), d("2024-03-05"), &events);
        assert_eq!(r.due_on, Some(d("2024-04-16")));
        let text = r.explain();
        assert!(
            text.contains("征求其他机关意见期间（2024-03-25至2024-04-03）不计入，计7个工作日"),
            "{text}"
        );
        assert!(text.contains("合计不计入9个工作日"), "{text}");
        // the given order does not matter
        let mut reversed = events.to_vec();
        reversed.reverse();
        assert_eq!(
            reply_deadline(cal(), &policy(), d("2024-03-05"), &reversed),
            r
        );
    }

    #[test]
    fn fee_notice_pauses_by_policy() {
        // fee pause (03-11, 03-15] = 4 working days: 03-06..08 1–3, 03-11 4, 03-18..22 5–9,
        // 03-25..29 10–14, 04-01..03 15–17, [清明], 04-07 18, 04-08..09 19–20.
        let events = [
            FeeNotified {
                on: d("2024-03-11"),
            },
            FeePaid {
                on: d("2024-03-15"),
            },
        ];
        let r = reply_deadline(cal(), &policy(), d("2024-03-05"), &events);
        assert_eq!(r.due_on, Some(d("2024-04-09")));
        assert!(
            r.explain()
                .contains("收费通知期间（2024-03-11至2024-03-15）不计入，计4个工作日")
        );

        let off = DeadlinePolicy {
            fee_notice_pauses_clock: false,
            ..policy()
        };
        let r = reply_deadline(cal(), &off, d("2024-03-05"), &events);
        assert_eq!(r.due_on, Some(d("2024-04-02")));
        assert!(r.explain().contains("答复期限不中止"));
        // an unpaid notice does not pause either
        let r = reply_deadline(cal(), &off, d("2024-03-05"), &events[..1]);
        assert_eq!(
            (r.state, r.due_on),
            (ClockState::Running, Some(d("2024-04-02")))
        );
    }

    #[test]
    fn extension_adds_days() {
        // the consultation case (20th day 04-10), then 04-11..12 21–22, 04-15..19 23–27,
        // 04-22..26 28–32, 04-28 (Sun, 调休) 33, 04-29..30 34–35, [05-01..05 劳动节],
        // 05-06..10 36–40.
        let events = [
            ConsultationStarted {
                on: d("2024-03-21"),
                kind: ThirdParty,
            },
            ConsultationReplied {
                on: d("2024-03-28"),
                kind: ThirdParty,
            },
            Extended {
                on: d("2024-04-01"),
                days: 20,
            },
        ];
        let r = reply_deadline(cal(), &policy(), d("2024-03-05"), &events);
        assert_eq!(r.due_on, Some(d("2024-05-10")));
        let text = r.explain();
        assert!(text.contains("2024-04-01 延期20个工作日"), "{text}");
        assert!(
            text.contains(
                "跳过节假日：2024-04-04至2024-04-06（清明节）、2024-05-01至2024-05-05（劳动节）"
            ),
            "{text}"
        );
        assert!(
            text.contains("计入调休上班日：2024-04-07、2024-04-28"),
            "{text}"
        );
        assert!(text.ends_with("答复期限：2024-05-10"), "{text}");
        assert!(!text.contains("超过最长延期"));

        let twice = [
            Extended {
                on: d("2024-03-20"),
                days: 10,
            },
            Extended {
                on: d("2024-03-25"),
                days: 15,
            },
        ];
        let r = reply_deadline(cal(), &policy(), d("2024-03-05"), &twice);
        assert!(r.explain().contains("超过最长延期20个工作日"));
        // 45 days from 03-05: 04-02 is the 20th; 04-03 21, 04-07 22, 04-08..12 23–27,
        // 04-15..19 28–32, 04-22..26 33–37, 04-28 38, 04-29..30 39–40, 05-06..10 41–45.
        assert_eq!(r.due_on, Some(d("2024-05-10")));
    }

    #[test]
    fn open_pause_has_no_deadline() {
        let start = [ConsultationStarted {
            on: d("2024-03-21"),
            kind: OtherAgency,
        }];
        let r = reply_deadline(cal(), &policy(), d("2024-03-05"), &start);
        assert_eq!(
            (r.state.clone(), r.due_on),
            (ClockState::PausedForConsultation, None)
        );
        // 12 counted by 03-21; consultation due 15 working days after 03-21:
        // 03-22 1, 03-25..29 2–6, 04-01..03 7–9, 04-07 10, 04-08..12 11–15.
        assert!(
            r.explain().contains(
                "2024-03-21 起征求其他机关意见，尚未收到答复，答复期限暂停，暂停时剩余8个工作日（其他机关应于2024-04-12前答复）"
            ),
            "{}",
            r.explain()
        );
        assert_eq!(r.working_days_left(cal(), d("2024-03-22")), None);

        let fee = [FeeNotified {
            on: d("2024-03-11"),
        }];
        let r = reply_deadline(cal(), &policy(), d("2024-03-05"), &fee);
        assert_eq!(
            (r.state.clone(), r.due_on),
            (ClockState::PausedForFee, None)
        );
        assert!(
            r.explain().contains("暂停时剩余16个工作日"),
            "{}",
            r.explain()
        );

        // one consultation answered, the other still open
        let events = [
            ConsultationStarted {
                on: d("2024-03-21"),
                kind: ThirdParty,
            },
            ConsultationStarted {
                on: d("2024-03-25"),
                kind: OtherAgency,
            },
            ConsultationReplied {
                on: d("2024-03-28"),
                kind: ThirdParty,
            },
        ];
        let r = reply_deadline(cal(), &policy(), d("2024-03-05"), &events);
        assert_eq!(r.state, ClockState::PausedForConsultation);
        assert!(r.explain().contains("剩余8个工作日"));

        // a pause begun after the deadline changes nothing
        let late = [ConsultationStarted {
            on: d("2024-04-03"),
            kind: ThirdParty,
        }];
        let r = reply_deadline(cal(), &policy(), d("2024-03-05"), &late);
        assert_eq!(
            (r.state, r.due_on),
            (ClockState::Running, Some(d("2024-04-02")))
        );
    }

    #[test]
    fn provisional_in_2027() {
        // 2026-12-15 (Tue): 12-16..31 1–12; 2027 on weekends only: 01-01 13, 01-04..08 14–18,
        // 01-11..12 19–20.
        let r = reply_deadline(cal(), &policy(), d("2026-12-15"), &[]);
        assert_eq!(r.due_on, Some(d("2027-01-12")));
        assert!(r.provisional);
        assert!(
            r.explain()
                .contains("答复期限：2027-01-12（该年度节假日安排未载入")
        );
        assert!(!reply_deadline(cal(), &policy(), d("2026-11-02"), &[]).provisional);
        let r = reply_deadline(
            cal(),
            &policy(),
            d("2026-12-28"),
            &[CorrectionRequested {
                on: d("2026-12-29"),
            }],
        );
        assert!(r.provisional);
    }

    #[test]
    fn working_days_left_counts_down() {
        let r = reply_deadline(cal(), &policy(), d("2024-09-27"), &[]);
        let left = |s: &str| r.working_days_left(cal(), d(s));
        assert_eq!(left("2024-09-27"), Some(20));
        assert_eq!(left("2024-10-04"), Some(18));
        assert_eq!(left("2024-10-30"), Some(0));
        assert_eq!(left("2024-10-31"), Some(-1));
        assert_eq!(left("2024-11-02"), Some(-2)); // Sat after Thu 10-31 and Fri 11-01
        assert_eq!(left("2024-11-04"), Some(-3));
        let friday = reply_deadline(cal(), &policy(), d("2024-10-04"), &[]);
        // 10-08..11 1–4, 10-12 5, 10-14..18 6–10, 10-21..25 11–15, 10-28..11-01 16–20
        assert_eq!(friday.due_on, Some(d("2024-11-01")));
        assert_eq!(friday.working_days_left(cal(), d("2024-11-02")), Some(-1));
    }

    #[test]
    fn other_limits() {
        let p = policy();
        // 2024-09-27 + 7: 09-29 1, 09-30 2, 10-08..11 3–6, 10-12 7
        assert_eq!(
            correction_notice_due(cal(), &p, d("2024-09-27")).date,
            d("2024-10-12")
        );
        assert_eq!(
            correction_period_due(cal(), &p, d("2024-03-07")).date,
            d("2024-03-28")
        );
        assert_eq!(
            consultation_reply_due(cal(), &p, d("2024-03-21")).date,
            d("2024-04-12")
        );
        assert_eq!(
            fee_payment_due(cal(), &p, d("2024-09-27")).date,
            d("2024-10-30")
        );
        let short = DeadlinePolicy {
            correction_period_days: 10,
            ..p
        };
        // 03-08 1, 03-11..15 2–6, 03-18..21 7–10
        assert_eq!(
            correction_period_due(cal(), &short, d("2024-03-07")).date,
            d("2024-03-21")
        );
    }

    #[test]
    fn serde_shapes() {
        let e = ConsultationStarted {
            on: d("2024-03-21"),
            kind: ThirdParty,
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<ClockEvent>(&json).unwrap(), e);
        let r = reply_deadline(cal(), &policy(), d("2024-09-27"), &[]);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["due_on"], "2024-10-30");
    }

    // ----- a naive reference -----

    /// The reply deadline straight from the rules: list the working days after the start,
    /// drop the paused ones, take the limit-th. Events are given in date order.
    fn reference(
        policy: &DeadlinePolicy,
        received: NaiveDate,
        events: &[ClockEvent],
    ) -> (Option<NaiveDate>, Option<u32>) {
        let mut start = received;
        let mut extension = 0;
        let mut awaiting = false;
        let mut spans: Vec<(NaiveDate, Option<NaiveDate>)> = vec![];
        let mut open_consult: Vec<(ConsultationKind, usize)> = vec![];
        let mut open_fee: Option<usize> = None;
        for e in events {
            match *e {
                CorrectionRequested { .. } => awaiting = true,
                Corrected { on } => {
                    awaiting = false;
                    start = on;
                    extension = 0;
                }
                Extended { days, .. } => extension += days,
                ConsultationStarted { on, kind } => {
                    open_consult.push((kind, spans.len()));
                    spans.push((on, None));
                }
                ConsultationReplied { on, kind } => {
                    if let Some(i) = open_consult.iter().position(|(k, _)| *k == kind) {
                        spans[open_consult.remove(i).1].1 = Some(on);
                    }
                }
                FeeNotified { on } if policy.fee_notice_pauses_clock => {
                    open_fee = Some(spans.len());
                    spans.push((on, None));
                }
                FeePaid { on } if policy.fee_notice_pauses_clock => {
                    if let Some(i) = open_fee.take() {
                        spans[i].1 = Some(on);
                    }
                }
                _ => {}
            }
        }
        if awaiting {
            return (None, None);
        }
        let limit = (policy.reply_days + extension) as usize;
        let closed_pause = |x: NaiveDate| {
            spans
                .iter()
                .any(|(a, b)| matches!(b, Some(b) if *a < x && x <= *b))
        };
        let counted: Vec<NaiveDate> = (1..1000)
            .map(|i| start + chrono::Duration::days(i))
            .filter(|x| cal().is_workday(*x) && !closed_pause(*x))
            .collect();
        let candidate = if limit == 0 {
            start
        } else {
            counted[limit - 1]
        };
        let open_from = spans
            .iter()
            .filter(|(_, b)| b.is_none())
            .map(|(a, _)| *a)
            .min();
        match open_from {
            Some(from) if from < candidate => {
                let before = counted.iter().filter(|x| **x <= from).count() as u32;
                (None, Some(policy.reply_days + extension - before))
            }
            _ => (Some(candidate), None),
        }
    }

    fn remaining_from_text(r: &ReplyDeadline) -> Option<u32> {
        let text = r.explain();
        let (_, tail) = text.split_once("暂停时剩余")?;
        tail.split_once('个')?.0.parse().ok()
    }

    proptest! {
        #[test]
        fn matches_the_reference(
            received in 0i64..(4 * 365 - 200),
            correction in proptest::option::of((0i64..8, proptest::option::of(0i64..20))),
            third in proptest::option::of((0i64..40, proptest::option::of(0i64..30))),
            agency in proptest::option::of((0i64..40, proptest::option::of(0i64..30))),
            fee in proptest::option::of((0i64..40, proptest::option::of(0i64..30))),
            extension in proptest::option::of((0i64..40, 0u32..=20)),
            fee_pauses in any::<bool>(),
        ) {
            let received = d("2023-01-01") + chrono::Duration::days(received);
            let at = |o: i64| received + chrono::Duration::days(o);
            let mut events = vec![];
            if let Some((req, fixed)) = correction {
                events.push(CorrectionRequested { on: at(req) });
                if let Some(after) = fixed {
                    events.push(Corrected { on: at(req + after) });
                }
            }
            for (kind, spec) in [(ThirdParty, third), (OtherAgency, agency)] {
                if let Some((from, len)) = spec {
                    events.push(ConsultationStarted { on: at(from), kind });
                    if let Some(len) = len {
                        events.push(ConsultationReplied { on: at(from + len), kind });
                    }
                }
            }
            if let Some((from, len)) = fee {
                events.push(FeeNotified { on: at(from) });
                if let Some(len) = len {
                    events.push(FeePaid { on: at(from + len) });
                }
            }
            if let Some((on, days)) = extension {
                events.push(Extended { on: at(on), days });
            }
            let policy = DeadlinePolicy { fee_notice_pauses_clock: fee_pauses, ..DeadlinePolicy::default() };
            let r = reply_deadline(cal(), &policy, received, &events);
            let mut sorted = events.clone();
            sorted.sort_by_key(|e| e.on());
            let (due, remaining) = reference(&policy, received, &sorted);
            prop_assert_eq!(r.due_on, due, "{}", r.explain());
            prop_assert_eq!(remaining_from_text(&r), remaining, "{}", r.explain());
            match &r.state {
                ClockState::Running => prop_assert!(r.due_on.is_some()),
                ClockState::AwaitingCorrection { correction_due } => {
                    prop_assert!(correction_due.is_some() && r.due_on.is_none())
                }
                _ => prop_assert!(remaining.is_some()),
            }
            if let Some(due) = r.due_on {
                prop_assert_eq!(r.provisional, due.year() > 2026);
                prop_assert_eq!(r.working_days_left(cal(), due), Some(0));
            }
        }
    }
}

//! The case state machine of the statutory procedure (办理流程): from the receipt of an
//! application (登记) to the served reply (送达) and the reviews and lawsuits brought over it.
//!
//! The machine is event-sourced: [`Case::decide`] checks a [`Command`] against the case and
//! returns the [`CaseEvent`]s it produces, without touching the case; [`Case::apply`] folds an
//! event into the case and never fails; [`Case::handle`] does both. Every command and event
//! carries its legal date (法定日期): no rule reads the wall clock, so a case imported from last
//! year replays exactly as it happened. Deadlines are not computed here (see `deadline`): the
//! case only records the dates they are computed from.
//!
//! The rules follow the Regulations on Open Government Information (政府信息公开条例, 2019):
//! a correction notice (补正通知) is given once, before acceptance (Art. 30); a consultation of a
//! third party or another agency (征求意见) stays open until its reply is recorded (Art. 32, 34);
//! the reply may be extended once (延期答复, Art. 33); a fee notice (收费通知, 国办函〔2020〕109号)
//! is given at most once; the drafted reply (答复意见) goes through the approval chain (审批)
//! before it is served, and after service only reviews and lawsuits may be recorded.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::codes::{OutcomeCode, ReviewKind, ReviewResult};

/// The stage of a case in the procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 登记: recorded with its receipt date, not yet accepted.
    Received,
    /// 待补正: a correction notice was sent; the applicant has not corrected yet.
    AwaitingCorrection,
    /// 办理中: accepted and being handled.
    InProgress,
    /// 待审批: a reply is drafted and goes through the approval chain.
    Drafted,
    /// 已审批待送达: the reply is approved and waits to be served.
    Approved,
    /// 已办结: the reply was served; only reviews and lawsuits may follow.
    Closed,
}

impl Stage {
    /// Every stage, in the order of the procedure.
    pub const ALL: &'static [Stage] = &[
        Stage::Received,
        Stage::AwaitingCorrection,
        Stage::InProgress,
        Stage::Drafted,
        Stage::Approved,
        Stage::Closed,
    ];

    /// The stable machine code (`in_progress`), as stored and sent.
    pub const fn code(self) -> &'static str {
        match self {
            Stage::Received => "received",
            Stage::AwaitingCorrection => "awaiting_correction",
            Stage::InProgress => "in_progress",
            Stage::Drafted => "drafted",
            Stage::Approved => "approved",
            Stage::Closed => "closed",
        }
    }

    /// Chinese label for the console and messages.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Received => "登记",
            Stage::AwaitingCorrection => "待补正",
            Stage::InProgress => "办理中",
            Stage::Drafted => "待审批",
            Stage::Approved => "已审批待送达",
            Stage::Closed => "已办结",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Whom the agency consults (征求意见): a third party (第三方, Art. 32) or another
/// administrative agency (其他机关, Art. 34). The time between request and reply is not
/// counted in the reply period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationKind {
    ThirdParty,
    OtherAgency,
}

impl ConsultationKind {
    /// Every kind.
    pub const ALL: &'static [ConsultationKind] =
        &[ConsultationKind::ThirdParty, ConsultationKind::OtherAgency];

    /// The stable machine code (`third_party`, `other_agency`).
    pub const fn code(self) -> &'static str {
        match self {
            ConsultationKind::ThirdParty => "third_party",
            ConsultationKind::OtherAgency => "other_agency",
        }
    }

    /// Whom the agency consults, in Chinese (`第三方`, `其他机关`).
    pub fn party(self) -> &'static str {
        match self {
            ConsultationKind::ThirdParty => "第三方",
            ConsultationKind::OtherAgency => "其他机关",
        }
    }

    /// The procedural step, in Chinese (`征求第三方意见`, `征求其他机关意见`).
    pub fn label(self) -> &'static str {
        match self {
            ConsultationKind::ThirdParty => "征求第三方意见",
            ConsultationKind::OtherAgency => "征求其他机关意见",
        }
    }
}

impl fmt::Display for ConsultationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What a handler, approver or the publishing service asks of a case. Each command carries the
/// legal date of the fact it records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Accept the application as complete (受理).
    Accept { on: NaiveDate },
    /// Send the correction notice (补正通知, Art. 30), with the applicant's deadline if stated.
    RequestCorrection {
        on: NaiveDate,
        due_on: Option<NaiveDate>,
    },
    /// Record that the corrected application was received (补正材料收到): the case is accepted
    /// and the reply period restarts.
    Correct { on: NaiveDate },
    /// Ask a third party or another agency for its opinion (征求意见).
    Consult {
        on: NaiveDate,
        kind: ConsultationKind,
    },
    /// Record the reply to an open consultation (or the end of another agency's silence).
    ConsultationReplied {
        on: NaiveDate,
        kind: ConsultationKind,
    },
    /// Extend the reply period (延期答复, Art. 33) by `days` working days; `max_days` is the
    /// agency's setting (the statute allows 20).
    Extend {
        on: NaiveDate,
        days: u32,
        max_days: u32,
    },
    /// Send a fee notice (收费通知) for `amount` yuan.
    NotifyFee { on: NaiveDate, amount: Decimal },
    /// Record that the notified fee was paid.
    PayFee { on: NaiveDate },
    /// Draft the decision (拟定答复意见): the outcome, its legal basis and the reply text.
    Draft {
        on: NaiveDate,
        outcome: OutcomeCode,
        legal_basis: String,
        reply_text: String,
    },
    /// Send the draft back to the handler (退回), with the reason.
    Return { on: NaiveDate, reason: String },
    /// Give one level of approval (审批); the draft is approved when `levels_required` levels
    /// have approved it.
    Approve { on: NaiveDate, levels_required: u32 },
    /// Serve the approved reply on the applicant (送达): the case is closed on this date.
    Serve { on: NaiveDate },
    /// Record an administrative reconsideration (行政复议) or a lawsuit (行政诉讼) over the reply.
    RecordReview {
        filed_on: NaiveDate,
        kind: ReviewKind,
        result: ReviewResult,
        concluded_on: Option<NaiveDate>,
    },
}

impl Command {
    /// The legal date the command records (for a review, the day it was filed).
    pub fn date(&self) -> NaiveDate {
        match self {
            Command::Accept { on }
            | Command::RequestCorrection { on, .. }
            | Command::Correct { on }
            | Command::Consult { on, .. }
            | Command::ConsultationReplied { on, .. }
            | Command::Extend { on, .. }
            | Command::NotifyFee { on, .. }
            | Command::PayFee { on }
            | Command::Draft { on, .. }
            | Command::Return { on, .. }
            | Command::Approve { on, .. }
            | Command::Serve { on } => *on,
            Command::RecordReview { filed_on, .. } => *filed_on,
        }
    }

    /// What the command does, in Chinese, for messages (`延期答复`).
    pub fn action(&self) -> &'static str {
        match self {
            Command::Accept { .. } => "受理申请",
            Command::RequestCorrection { .. } => "要求补正",
            Command::Correct { .. } => "登记补正材料",
            Command::Consult { .. } => "征求意见",
            Command::ConsultationReplied { .. } => "登记征求意见回复",
            Command::Extend { .. } => "延期答复",
            Command::NotifyFee { .. } => "发出收费通知",
            Command::PayFee { .. } => "登记缴费",
            Command::Draft { .. } => "拟定答复意见",
            Command::Return { .. } => "退回答复意见",
            Command::Approve { .. } => "审批答复意见",
            Command::Serve { .. } => "送达答复",
            Command::RecordReview { .. } => "登记复议或诉讼",
        }
    }
}

/// A fact that happened to a case, with its legal date. Events are what the services store and
/// publish; [`Case::apply`] rebuilds a case from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CaseEvent {
    Accepted {
        on: NaiveDate,
    },
    CorrectionRequested {
        on: NaiveDate,
        due_on: Option<NaiveDate>,
    },
    Corrected {
        on: NaiveDate,
    },
    ConsultationStarted {
        on: NaiveDate,
        kind: ConsultationKind,
    },
    ConsultationReplied {
        on: NaiveDate,
        kind: ConsultationKind,
    },
    Extended {
        on: NaiveDate,
        days: u32,
    },
    FeeNotified {
        on: NaiveDate,
        amount: Decimal,
    },
    FeePaid {
        on: NaiveDate,
    },
    Drafted {
        on: NaiveDate,
        outcome: OutcomeCode,
        legal_basis: String,
        reply_text: String,
    },
    Returned {
        on: NaiveDate,
        reason: String,
    },
    /// One level of the approval chain approved the draft; `level` counts from 1.
    ApprovalGiven {
        on: NaiveDate,
        level: u32,
    },
    /// The last required level approved: the reply may be served.
    Approved {
        on: NaiveDate,
    },
    Served {
        on: NaiveDate,
        outcome: OutcomeCode,
    },
    ReviewRecorded {
        filed_on: NaiveDate,
        kind: ReviewKind,
        result: ReviewResult,
        concluded_on: Option<NaiveDate>,
    },
}

impl CaseEvent {
    /// The legal date of the event (for a review, the day it was filed).
    pub fn date(&self) -> NaiveDate {
        match self {
            CaseEvent::Accepted { on }
            | CaseEvent::CorrectionRequested { on, .. }
            | CaseEvent::Corrected { on }
            | CaseEvent::ConsultationStarted { on, .. }
            | CaseEvent::ConsultationReplied { on, .. }
            | CaseEvent::Extended { on, .. }
            | CaseEvent::FeeNotified { on, .. }
            | CaseEvent::FeePaid { on }
            | CaseEvent::Drafted { on, .. }
            | CaseEvent::Returned { on, .. }
            | CaseEvent::ApprovalGiven { on, .. }
            | CaseEvent::Approved { on }
            | CaseEvent::Served { on, .. } => *on,
            CaseEvent::ReviewRecorded { filed_on, .. } => *filed_on,
        }
    }

    /// The stable machine name of the event (`consultation_started`).
    pub fn name(&self) -> &'static str {
        match self {
            CaseEvent::Accepted { .. } => "accepted",
            CaseEvent::CorrectionRequested { .. } => "correction_requested",
            CaseEvent::Corrected { .. } => "corrected",
            CaseEvent::ConsultationStarted { .. } => "consultation_started",
            CaseEvent::ConsultationReplied { .. } => "consultation_replied",
            CaseEvent::Extended { .. } => "extended",
            CaseEvent::FeeNotified { .. } => "fee_notified",
            CaseEvent::FeePaid { .. } => "fee_paid",
            CaseEvent::Drafted { .. } => "drafted",
            CaseEvent::Returned { .. } => "returned",
            CaseEvent::ApprovalGiven { .. } => "approval_given",
            CaseEvent::Approved { .. } => "approved",
            CaseEvent::Served { .. } => "served",
            CaseEvent::ReviewRecorded { .. } => "review_recorded",
        }
    }

    /// `true` for events that take part in the chronological order of the procedure (all but
    /// reviews and lawsuits, which are dated by their own filing and only follow the reply).
    fn is_procedural(&self) -> bool {
        !matches!(self, CaseEvent::ReviewRecorded { .. })
    }
}

/// The correction notice (补正通知) and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub requested_on: NaiveDate,
    /// The applicant's deadline as the notice states it, if recorded.
    pub due_on: Option<NaiveDate>,
    /// The day the corrected application was received (补正材料收到).
    pub corrected_on: Option<NaiveDate>,
}

/// A consultation (征求意见); open while `replied_on` is `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    pub kind: ConsultationKind,
    pub started_on: NaiveDate,
    pub replied_on: Option<NaiveDate>,
}

impl Consultation {
    /// `true` while the reply is awaited.
    pub fn is_open(&self) -> bool {
        self.replied_on.is_none()
    }
}

/// The extension of the reply period (延期答复).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub on: NaiveDate,
    /// Working days added to the reply period.
    pub days: u32,
}

/// The fee notice (收费通知) and its payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    pub notified_on: NaiveDate,
    /// Yuan, exact decimal.
    pub amount: Decimal,
    pub paid_on: Option<NaiveDate>,
}

impl Fee {
    /// `true` while the notified fee is unpaid.
    pub fn is_outstanding(&self) -> bool {
        self.paid_on.is_none()
    }
}

/// The drafted decision (答复意见) and its approvals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub drafted_on: NaiveDate,
    pub outcome: OutcomeCode,
    /// The legal basis (法律依据) the reply cites.
    pub legal_basis: String,
    /// The text of the reply letter (答复书).
    pub reply_text: String,
    /// The date of each level of approval given so far, first level first.
    pub approvals: Vec<NaiveDate>,
    /// The day the last required level approved.
    pub approved_on: Option<NaiveDate>,
}

/// A draft sent back to the handler (退回).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnedDraft {
    pub on: NaiveDate,
    pub reason: String,
    /// The outcome of the draft that was sent back.
    pub outcome: OutcomeCode,
}

/// The served reply (答复): the outcome and the reply date, which decides the annual report
/// the case is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub outcome: OutcomeCode,
    pub replied_on: NaiveDate,
}

/// An administrative reconsideration (行政复议) or lawsuit (行政诉讼) over the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub kind: ReviewKind,
    pub filed_on: NaiveDate,
    pub result: ReviewResult,
    pub concluded_on: Option<NaiveDate>,
}

/// One application's case file as the procedure shapes it. Build it with [`Case::received`] and
/// change it only through [`Case::handle`] or [`Case::apply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    received_on: NaiveDate,
    stage: Stage,
    accepted_on: Option<NaiveDate>,
    correction: Option<Correction>,
    consultations: Vec<Consultation>,
    extension: Option<Extension>,
    fee: Option<Fee>,
    draft: Option<Draft>,
    returns: Vec<ReturnedDraft>,
    reply: Option<Reply>,
    reviews: Vec<Review>,
    /// The latest legal date recorded by the procedure (reviews excluded).
    last_date: NaiveDate,
    /// The number of events applied; used for optimistic concurrency.
    version: u64,
}

impl Case {
    /// A new case, recorded (登记) with its statutory receipt date (Art. 31).
    pub fn received(received_on: NaiveDate) -> Case {
        Case {
            received_on,
            stage: Stage::Received,
            accepted_on: None,
            correction: None,
            consultations: Vec::new(),
            extension: None,
            fee: None,
            draft: None,
            returns: Vec::new(),
            reply: None,
            reviews: Vec::new(),
            last_date: received_on,
            version: 0,
        }
    }

    /// The statutory receipt date (收到申请之日).
    pub fn received_on(&self) -> NaiveDate {
        self.received_on
    }

    /// The current stage.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The day the application was accepted: by [`Command::Accept`], or the day the corrected
    /// application was received.
    pub fn accepted_on(&self) -> Option<NaiveDate> {
        self.accepted_on
    }

    /// The day the reply period runs from: the receipt date, or the day the corrected
    /// application was received, when the period restarts (Art. 30).
    pub fn reply_clock_start(&self) -> NaiveDate {
        self.correction
            .as_ref()
            .and_then(|c| c.corrected_on)
            .unwrap_or(self.received_on)
    }

    /// The correction notice, if one was sent.
    /// The facts of this case that move the reply clock, for [`crate::deadline::reply_deadline`].
    pub fn clock_events(&self) -> Vec<crate::deadline::ClockEvent> {
        use crate::deadline::ClockEvent;
        let mut events = Vec::new();
        if let Some(c) = self.correction() {
            events.push(ClockEvent::CorrectionRequested { on: c.requested_on });
            if let Some(on) = c.corrected_on {
                events.push(ClockEvent::Corrected { on });
            }
        }
        for c in self.consultations() {
            events.push(ClockEvent::ConsultationStarted {
                on: c.started_on,
                kind: c.kind,
            });
            if let Some(on) = c.replied_on {
                events.push(ClockEvent::ConsultationReplied { on, kind: c.kind });
            }
        }
        if let Some(e) = self.extension() {
            events.push(ClockEvent::Extended {
                on: e.on,
                days: e.days,
            });
        }
        if let Some(f) = self.fee() {
            events.push(ClockEvent::FeeNotified { on: f.notified_on });
            if let Some(on) = f.paid_on {
                events.push(ClockEvent::FeePaid { on });
            }
        }
        events.sort_by_key(|e| e.on());
        events
    }

    pub fn correction(&self) -> Option<&Correction> {
        self.correction.as_ref()
    }

    /// Every consultation, open or replied, in the order they were started.
    pub fn consultations(&self) -> &[Consultation] {
        &self.consultations
    }

    /// The consultations still awaiting a reply.
    pub fn open_consultations(&self) -> impl Iterator<Item = &Consultation> {
        self.consultations.iter().filter(|c| c.is_open())
    }

    /// The open consultation of this kind, if any.
    pub fn open_consultation(&self, kind: ConsultationKind) -> Option<&Consultation> {
        self.open_consultations().find(|c| c.kind == kind)
    }

    /// The extension, if the reply period was extended.
    pub fn extension(&self) -> Option<Extension> {
        self.extension
    }

    /// The fee notice, if one was sent.
    pub fn fee(&self) -> Option<&Fee> {
        self.fee.as_ref()
    }

    /// `true` while a notified fee is unpaid.
    pub fn fee_outstanding(&self) -> bool {
        self.fee.as_ref().is_some_and(Fee::is_outstanding)
    }

    /// The current draft: while it is approved, and kept after service as the served decision.
    pub fn draft(&self) -> Option<&Draft> {
        self.draft.as_ref()
    }

    /// The number of approval levels the current draft has been given.
    pub fn approvals_given(&self) -> u32 {
        self.draft.as_ref().map_or(0, |d| d.approvals.len() as u32)
    }

    /// Drafts sent back, oldest first.
    pub fn returns(&self) -> &[ReturnedDraft] {
        &self.returns
    }

    /// The served reply, once the case is closed.
    pub fn reply(&self) -> Option<Reply> {
        self.reply
    }

    /// The outcome and the reply date, once the case is closed.
    pub fn outcome(&self) -> Option<(OutcomeCode, NaiveDate)> {
        self.reply.map(|r| (r.outcome, r.replied_on))
    }

    /// Reviews and lawsuits recorded over the reply, in the order recorded.
    pub fn reviews(&self) -> &[Review] {
        &self.reviews
    }

    /// The latest legal date of the procedure (reviews excluded); a new command may not be
    /// dated before it.
    pub fn last_date(&self) -> NaiveDate {
        self.last_date
    }

    /// The number of events applied to the case.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Check a command against the case and return the events it produces. Pure: the case is
    /// not changed, whatever the answer.
    pub fn decide(&self, cmd: &Command) -> Result<Vec<CaseEvent>, TransitionError> {
        use TransitionError as E;

        if let Command::RecordReview {
            filed_on,
            kind,
            result,
            concluded_on,
        } = *cmd
        {
            return self.decide_review(filed_on, kind, result, concluded_on);
        }

        // After the reply only reviews may be recorded.
        if let Some(reply) = self.reply {
            return Err(match cmd {
                Command::RequestCorrection { .. } | Command::Correct { .. } => {
                    E::CorrectionAfterReply {
                        replied_on: reply.replied_on,
                    }
                }
                _ => E::CaseClosed {
                    action: cmd.action(),
                    replied_on: reply.replied_on,
                },
            });
        }

        let on = cmd.date();
        if on < self.received_on {
            return Err(E::DateBeforeReceipt {
                field: "on",
                on,
                received_on: self.received_on,
            });
        }
        if on < self.last_date {
            return Err(E::DateBeforePrevious {
                field: "on",
                on,
                last: self.last_date,
            });
        }

        match cmd {
            Command::Accept { on } => match self.stage {
                Stage::Received => Ok(vec![CaseEvent::Accepted { on: *on }]),
                Stage::AwaitingCorrection => Err(E::AwaitingCorrection),
                _ => Err(E::AlreadyAccepted {
                    accepted_on: self.accepted_on,
                }),
            },

            Command::RequestCorrection { on, due_on } => {
                if let Some(c) = &self.correction {
                    return Err(E::SecondCorrection {
                        requested_on: c.requested_on,
                    });
                }
                if self.stage != Stage::Received {
                    return Err(E::CorrectionAfterAcceptance);
                }
                if let Some(due) = due_on
                    && due <= on
                {
                    return Err(E::CorrectionDueNotAfterRequest {
                        on: *on,
                        due_on: *due,
                    });
                }
                Ok(vec![CaseEvent::CorrectionRequested {
                    on: *on,
                    due_on: *due_on,
                }])
            }

            Command::Correct { on } => {
                let Some(c) = &self.correction else {
                    return Err(E::NoCorrectionRequested);
                };
                if let Some(corrected_on) = c.corrected_on {
                    return Err(E::AlreadyCorrected { corrected_on });
                }
                if self.stage != Stage::AwaitingCorrection {
                    return Err(E::CorrectionAfterDecision { stage: self.stage });
                }
                Ok(vec![CaseEvent::Corrected { on: *on }])
            }

            Command::Consult { on, kind } => {
                self.require_handling(cmd)?;
                if let Some(open) = self.open_consultation(*kind) {
                    return Err(E::ConsultationAlreadyOpen {
                        kind: *kind,
                        since: open.started_on,
                    });
                }
                Ok(vec![CaseEvent::ConsultationStarted {
                    on: *on,
                    kind: *kind,
                }])
            }

            Command::ConsultationReplied { on, kind } => {
                if self.open_consultation(*kind).is_none() {
                    return Err(E::NoOpenConsultation { kind: *kind });
                }
                Ok(vec![CaseEvent::ConsultationReplied {
                    on: *on,
                    kind: *kind,
                }])
            }

            Command::Extend { on, days, max_days } => {
                self.require_handling(cmd)?;
                if let Some(ext) = self.extension {
                    return Err(E::SecondExtension {
                        on: ext.on,
                        days: ext.days,
                    });
                }
                if *days == 0 {
                    return Err(E::ExtensionZero);
                }
                if days > max_days {
                    return Err(E::ExtensionTooLong {
                        days: *days,
                        max_days: *max_days,
                    });
                }
                Ok(vec![CaseEvent::Extended {
                    on: *on,
                    days: *days,
                }])
            }

            Command::NotifyFee { on, amount } => {
                self.require_handling(cmd)?;
                if let Some(fee) = &self.fee {
                    return Err(E::FeeAlreadyNotified {
                        on: fee.notified_on,
                    });
                }
                if *amount <= Decimal::ZERO || amount.normalize().scale() > 2 {
                    return Err(E::InvalidFeeAmount { amount: *amount });
                }
                Ok(vec![CaseEvent::FeeNotified {
                    on: *on,
                    amount: *amount,
                }])
            }

            Command::PayFee { on } => {
                if !self.fee_outstanding() {
                    return Err(E::FeeNotOutstanding);
                }
                if matches!(self.stage, Stage::Drafted | Stage::Approved) {
                    return Err(E::AfterDraft {
                        action: cmd.action(),
                    });
                }
                Ok(vec![CaseEvent::FeePaid { on: *on }])
            }

            Command::Draft {
                on,
                outcome,
                legal_basis,
                reply_text,
            } => {
                self.check_draft(*on, *outcome)?;
                Ok(vec![CaseEvent::Drafted {
                    on: *on,
                    outcome: *outcome,
                    legal_basis: legal_basis.clone(),
                    reply_text: reply_text.clone(),
                }])
            }

            Command::Return { on, reason } => {
                if self.stage != Stage::Drafted {
                    return Err(E::NotDrafted { stage: self.stage });
                }
                if reason.trim().is_empty() {
                    return Err(E::EmptyReturnReason);
                }
                Ok(vec![CaseEvent::Returned {
                    on: *on,
                    reason: reason.trim().to_string(),
                }])
            }

            Command::Approve {
                on,
                levels_required,
            } => {
                if self.stage != Stage::Drafted {
                    return Err(E::NotDrafted { stage: self.stage });
                }
                if *levels_required == 0 {
                    return Err(E::NoApprovalLevels);
                }
                let level = self.approvals_given() + 1;
                let mut events = vec![CaseEvent::ApprovalGiven { on: *on, level }];
                if level >= *levels_required {
                    events.push(CaseEvent::Approved { on: *on });
                }
                Ok(events)
            }

            Command::Serve { on } => match (&self.draft, self.stage) {
                (Some(draft), Stage::Approved) => Ok(vec![CaseEvent::Served {
                    on: *on,
                    outcome: draft.outcome,
                }]),
                _ => Err(E::NotApproved { stage: self.stage }),
            },

            Command::RecordReview { .. } => unreachable!("handled above"),
        }
    }

    /// Consulting, extending and fee notices need an accepted case with no draft.
    fn require_handling(&self, cmd: &Command) -> Result<(), TransitionError> {
        match self.stage {
            Stage::InProgress => Ok(()),
            Stage::Received | Stage::AwaitingCorrection => Err(TransitionError::NotAccepted {
                action: cmd.action(),
            }),
            Stage::Drafted | Stage::Approved => Err(TransitionError::AfterDraft {
                action: cmd.action(),
            }),
            Stage::Closed => Err(TransitionError::CaseClosed {
                action: cmd.action(),
                replied_on: self.reply.map_or(self.last_date, |r| r.replied_on),
            }),
        }
    }

    fn check_draft(&self, on: NaiveDate, outcome: OutcomeCode) -> Result<(), TransitionError> {
        use TransitionError as E;
        if matches!(self.stage, Stage::Drafted | Stage::Approved) {
            return Err(E::AlreadyDrafted { stage: self.stage });
        }
        if outcome == OutcomeCode::OtherCorrectionOverdue {
            if self.stage != Stage::AwaitingCorrection {
                return Err(E::OutcomeNeedsPendingCorrection);
            }
            if let Some(due_on) = self.correction.as_ref().and_then(|c| c.due_on)
                && on <= due_on
            {
                return Err(E::CorrectionNotOverdue { on, due_on });
            }
            return Ok(());
        }
        if matches!(self.stage, Stage::Received | Stage::AwaitingCorrection) {
            return Err(E::ReplyBeforeAcceptance { stage: self.stage });
        }
        if let Some(open) = self.open_consultations().next() {
            return Err(E::ConsultationOpen {
                kind: open.kind,
                since: open.started_on,
            });
        }
        match outcome {
            OutcomeCode::UnavailableUnclearAfterCorrection
                if self
                    .correction
                    .as_ref()
                    .and_then(|c| c.corrected_on)
                    .is_none() =>
            {
                return Err(E::OutcomeNeedsCorrection);
            }
            OutcomeCode::OtherFeeOverdue => {
                if !self.fee_outstanding() {
                    return Err(E::OutcomeNeedsUnpaidFee);
                }
                return Ok(());
            }
            _ => {}
        }
        if let Some(fee) = self.fee.as_ref().filter(|f| f.is_outstanding()) {
            return Err(E::FeeOutstanding {
                notified_on: fee.notified_on,
            });
        }
        Ok(())
    }

    fn decide_review(
        &self,
        filed_on: NaiveDate,
        kind: ReviewKind,
        result: ReviewResult,
        concluded_on: Option<NaiveDate>,
    ) -> Result<Vec<CaseEvent>, TransitionError> {
        use TransitionError as E;
        let Some(reply) = self.reply else {
            return Err(E::ReviewOfOpenCase { stage: self.stage });
        };
        if filed_on < reply.replied_on {
            return Err(E::ReviewBeforeReply {
                filed_on,
                replied_on: reply.replied_on,
            });
        }
        match (result, concluded_on) {
            (ReviewResult::Pending, Some(concluded_on)) => {
                return Err(E::ConcludedWhilePending { concluded_on });
            }
            (ReviewResult::Pending, None) => {}
            (_, None) => return Err(E::ConclusionDateMissing),
            (_, Some(concluded_on)) if concluded_on < filed_on => {
                return Err(E::ConcludedBeforeFiled {
                    filed_on,
                    concluded_on,
                });
            }
            (_, Some(_)) => {}
        }
        Ok(vec![CaseEvent::ReviewRecorded {
            filed_on,
            kind,
            result,
            concluded_on,
        }])
    }

    /// Fold an event into the case. Never fails: events are facts already decided. The version
    /// grows by one for every event.
    pub fn apply(&mut self, event: &CaseEvent) {
        self.version += 1;
        if event.is_procedural() {
            self.last_date = self.last_date.max(event.date());
        }
        match event {
            CaseEvent::Accepted { on } => {
                self.accepted_on = Some(*on);
                self.stage = Stage::InProgress;
            }
            CaseEvent::CorrectionRequested { on, due_on } => {
                self.correction = Some(Correction {
                    requested_on: *on,
                    due_on: *due_on,
                    corrected_on: None,
                });
                self.stage = Stage::AwaitingCorrection;
            }
            CaseEvent::Corrected { on } => {
                if let Some(c) = &mut self.correction {
                    c.corrected_on = Some(*on);
                }
                self.accepted_on = Some(*on);
                self.stage = Stage::InProgress;
            }
            CaseEvent::ConsultationStarted { on, kind } => {
                self.consultations.push(Consultation {
                    kind: *kind,
                    started_on: *on,
                    replied_on: None,
                });
            }
            CaseEvent::ConsultationReplied { on, kind } => {
                if let Some(c) = self
                    .consultations
                    .iter_mut()
                    .find(|c| c.kind == *kind && c.is_open())
                {
                    c.replied_on = Some(*on);
                }
            }
            CaseEvent::Extended { on, days } => {
                self.extension = Some(Extension {
                    on: *on,
                    days: *days,
                });
            }
            CaseEvent::FeeNotified { on, amount } => {
                self.fee = Some(Fee {
                    notified_on: *on,
                    amount: *amount,
                    paid_on: None,
                });
            }
            CaseEvent::FeePaid { on } => {
                if let Some(fee) = &mut self.fee {
                    fee.paid_on = Some(*on);
                }
            }
            CaseEvent::Drafted {
                on,
                outcome,
                legal_basis,
                reply_text,
            } => {
                self.draft = Some(Draft {
                    drafted_on: *on,
                    outcome: *outcome,
                    legal_basis: legal_basis.clone(),
                    reply_text: reply_text.clone(),
                    approvals: Vec::new(),
                    approved_on: None,
                });
                self.stage = Stage::Drafted;
            }
            CaseEvent::Returned { on, reason } => {
                if let Some(draft) = self.draft.take() {
                    self.returns.push(ReturnedDraft {
                        on: *on,
                        reason: reason.clone(),
                        outcome: draft.outcome,
                    });
                }
                self.stage = if self.accepted_on.is_some() {
                    Stage::InProgress
                } else {
                    Stage::AwaitingCorrection
                };
            }
            CaseEvent::ApprovalGiven { on, .. } => {
                if let Some(draft) = &mut self.draft {
                    draft.approvals.push(*on);
                }
            }
            CaseEvent::Approved { on } => {
                if let Some(draft) = &mut self.draft {
                    draft.approved_on = Some(*on);
                }
                self.stage = Stage::Approved;
            }
            CaseEvent::Served { on, outcome } => {
                self.reply = Some(Reply {
                    outcome: *outcome,
                    replied_on: *on,
                });
                self.stage = Stage::Closed;
            }
            CaseEvent::ReviewRecorded {
                filed_on,
                kind,
                result,
                concluded_on,
            } => {
                self.reviews.push(Review {
                    kind: *kind,
                    filed_on: *filed_on,
                    result: *result,
                    concluded_on: *concluded_on,
                });
            }
        }
    }

    /// Decide a command and apply its events. On error the case is unchanged.
    pub fn handle(&mut self, cmd: &Command) -> Result<Vec<CaseEvent>, TransitionError> {
        let events = self.decide(cmd)?;
        for event in &events {
            self.apply(event);
        }
        Ok(events)
    }

    /// Rebuild a case from its receipt date and its events.
    pub fn replay<'a>(
        received_on: NaiveDate,
        events: impl IntoIterator<Item = &'a CaseEvent>,
    ) -> Case {
        let mut case = Case::received(received_on);
        for event in events {
            case.apply(event);
        }
        case
    }
}

/// Why a command is refused. The message is for the user, in Chinese; [`Self::code`] is a stable
/// machine name and [`Self::field`] names the offending command field (`command` when the
/// command as a whole is not allowed at this point of the procedure).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("日期{on}早于收到申请之日{received_on}")]
    DateBeforeReceipt {
        field: &'static str,
        on: NaiveDate,
        received_on: NaiveDate,
    },
    #[error("日期{on}早于本案已登记的最后日期{last}，办理过程应按时间顺序登记")]
    DateBeforePrevious {
        field: &'static str,
        on: NaiveDate,
        last: NaiveDate,
    },
    #[error("本案已于{replied_on}答复办结，不能再{action}，只能登记复议或诉讼")]
    CaseClosed {
        action: &'static str,
        replied_on: NaiveDate,
    },
    #[error("本案已于{replied_on}答复办结，答复后不能再要求补正或登记补正材料")]
    CorrectionAfterReply { replied_on: NaiveDate },
    #[error("申请已受理，补正只能在受理前要求")]
    CorrectionAfterAcceptance,
    #[error("已于{requested_on}发出补正通知；补正应一次性告知，不能再次要求补正")]
    SecondCorrection { requested_on: NaiveDate },
    #[error("补正期限{due_on}应晚于补正通知日期{on}")]
    CorrectionDueNotAfterRequest { on: NaiveDate, due_on: NaiveDate },
    #[error("未发出补正通知，不能登记补正材料")]
    NoCorrectionRequested,
    #[error("补正材料已于{corrected_on}收到，不能重复登记")]
    AlreadyCorrected { corrected_on: NaiveDate },
    #[error("当前阶段为「{stage}」，已拟定答复意见，须先退回才能登记补正材料")]
    CorrectionAfterDecision { stage: Stage },
    #[error("{}", match .accepted_on {
        Some(on) => format!("申请已于{on}受理，不能重复受理"),
        None => "申请已受理，不能重复受理".to_string(),
    })]
    AlreadyAccepted { accepted_on: Option<NaiveDate> },
    #[error("申请正在等待补正，收到补正材料即视为受理，不能直接受理")]
    AwaitingCorrection,
    #[error("申请尚未受理，不能{action}")]
    NotAccepted { action: &'static str },
    #[error("申请尚未受理（当前阶段为「{stage}」），不能拟定答复意见")]
    ReplyBeforeAcceptance { stage: Stage },
    #[error("已拟定答复意见，不能再{action}；如需继续办理，请先退回")]
    AfterDraft { action: &'static str },
    #[error("已于{since}向{}征求意见，尚未回复，不能重复征求", .kind.party())]
    ConsultationAlreadyOpen {
        kind: ConsultationKind,
        since: NaiveDate,
    },
    #[error("没有向{}征求且尚未回复的意见", .kind.party())]
    NoOpenConsultation { kind: ConsultationKind },
    #[error("本案已于{on}延期答复{days}个工作日；延期答复只能一次")]
    SecondExtension { on: NaiveDate, days: u32 },
    #[error("延期天数至少为1个工作日")]
    ExtensionZero,
    #[error("延期{days}个工作日超过上限{max_days}个工作日")]
    ExtensionTooLong { days: u32, max_days: u32 },
    #[error("已于{on}发出收费通知；每件申请只能收费一次")]
    FeeAlreadyNotified { on: NaiveDate },
    #[error("收费金额「{amount}」应大于零，最多保留两位小数")]
    InvalidFeeAmount { amount: Decimal },
    #[error("没有待缴纳的信息处理费")]
    FeeNotOutstanding,
    #[error("{notified_on}发出的收费通知尚未缴费，只能等待缴费或以「逾期未缴费」办结")]
    FeeOutstanding { notified_on: NaiveDate },
    #[error("已于{since}向{}征求意见，尚未回复，不能拟定答复意见", .kind.party())]
    ConsultationOpen {
        kind: ConsultationKind,
        since: NaiveDate,
    },
    #[error("「逾期不补正」只能在已发出补正通知、申请人尚未补正时拟定")]
    OutcomeNeedsPendingCorrection,
    #[error("补正期限{due_on}尚未届满（拟定日期{on}），不能以「逾期不补正」办结")]
    CorrectionNotOverdue { on: NaiveDate, due_on: NaiveDate },
    #[error("「补正后申请内容仍不明确」只能在收到补正材料后拟定")]
    OutcomeNeedsCorrection,
    #[error("「逾期未缴费」只能在收费通知尚未缴费时拟定")]
    OutcomeNeedsUnpaidFee,
    #[error("当前阶段为「{stage}」，已有答复意见，须先退回才能重新拟定")]
    AlreadyDrafted { stage: Stage },
    #[error("当前阶段为「{stage}」，没有待审批的答复意见")]
    NotDrafted { stage: Stage },
    #[error("退回答复意见须写明理由")]
    EmptyReturnReason,
    #[error("审批层级数至少为1")]
    NoApprovalLevels,
    #[error("答复意见尚未审批完毕（当前阶段为「{stage}」），不能送达")]
    NotApproved { stage: Stage },
    #[error("本案尚未答复（当前阶段为「{stage}」），不能登记复议或诉讼")]
    ReviewOfOpenCase { stage: Stage },
    #[error("复议或诉讼的提起日期{filed_on}早于答复日期{replied_on}")]
    ReviewBeforeReply {
        filed_on: NaiveDate,
        replied_on: NaiveDate,
    },
    #[error("结果为「尚未审结」时不应填写审结日期（{concluded_on}）")]
    ConcludedWhilePending { concluded_on: NaiveDate },
    #[error("已审结的复议或诉讼须填写审结日期")]
    ConclusionDateMissing,
    #[error("审结日期{concluded_on}早于提起日期{filed_on}")]
    ConcludedBeforeFiled {
        filed_on: NaiveDate,
        concluded_on: NaiveDate,
    },
}

impl TransitionError {
    /// A stable machine name for the error (`second_extension`).
    pub fn code(&self) -> &'static str {
        use TransitionError as E;
        match self {
            E::DateBeforeReceipt { .. } => "date_before_receipt",
            E::DateBeforePrevious { .. } => "date_before_previous",
            E::CaseClosed { .. } => "case_closed",
            E::CorrectionAfterReply { .. } => "correction_after_reply",
            E::CorrectionAfterAcceptance => "correction_after_acceptance",
            E::SecondCorrection { .. } => "second_correction",
            E::CorrectionDueNotAfterRequest { .. } => "correction_due_not_after_request",
            E::NoCorrectionRequested => "no_correction_requested",
            E::AlreadyCorrected { .. } => "already_corrected",
            E::CorrectionAfterDecision { .. } => "correction_after_decision",
            E::AlreadyAccepted { .. } => "already_accepted",
            E::AwaitingCorrection => "awaiting_correction",
            E::NotAccepted { .. } => "not_accepted",
            E::ReplyBeforeAcceptance { .. } => "reply_before_acceptance",
            E::AfterDraft { .. } => "after_draft",
            E::ConsultationAlreadyOpen { .. } => "consultation_already_open",
            E::NoOpenConsultation { .. } => "no_open_consultation",
            E::SecondExtension { .. } => "second_extension",
            E::ExtensionZero => "extension_zero",
            E::ExtensionTooLong { .. } => "extension_too_long",
            E::FeeAlreadyNotified { .. } => "fee_already_notified",
            E::InvalidFeeAmount { .. } => "invalid_fee_amount",
            E::FeeNotOutstanding => "fee_not_outstanding",
            E::FeeOutstanding { .. } => "fee_outstanding",
            E::ConsultationOpen { .. } => "consultation_open",
            E::OutcomeNeedsPendingCorrection => "outcome_needs_pending_correction",
            E::CorrectionNotOverdue { .. } => "correction_not_overdue",
            E::OutcomeNeedsCorrection => "outcome_needs_correction",
            E::OutcomeNeedsUnpaidFee => "outcome_needs_unpaid_fee",
            E::AlreadyDrafted { .. } => "already_drafted",
            E::NotDrafted { .. } => "not_drafted",
            E::EmptyReturnReason => "empty_return_reason",
            E::NoApprovalLevels => "no_approval_levels",
            E::NotApproved { .. } => "not_approved",
            E::ReviewOfOpenCase { .. } => "review_of_open_case",
            E::ReviewBeforeReply { .. } => "review_before_reply",
            E::ConcludedWhilePending { .. } => "concluded_while_pending",
            E::ConclusionDateMissing => "conclusion_date_missing",
            E::ConcludedBeforeFiled { .. } => "concluded_before_filed",
        }
    }

    /// The command field at fault: `on`, `due_on`, `kind`, `days`, `amount`, `outcome`,
    /// `reason`, `levels_required`, `filed_on`, `concluded_on`, or `command` when the command
    /// itself is not allowed at this point of the procedure.
    pub fn field(&self) -> &'static str {
        use TransitionError as E;
        match self {
            E::DateBeforeReceipt { field, .. } | E::DateBeforePrevious { field, .. } => field,
            E::CorrectionDueNotAfterRequest { .. } => "due_on",
            E::ConsultationAlreadyOpen { .. } | E::NoOpenConsultation { .. } => "kind",
            E::ExtensionZero | E::ExtensionTooLong { .. } => "days",
            E::InvalidFeeAmount { .. } => "amount",
            E::OutcomeNeedsPendingCorrection
            | E::OutcomeNeedsCorrection
            | E::OutcomeNeedsUnpaidFee
            | E::FeeOutstanding { .. } => "outcome",
            E::CorrectionNotOverdue { .. } => "on",
            E::EmptyReturnReason => "reason",
            E::NoApprovalLevels => "levels_required",
            E::ReviewOfOpenCase { .. } | E::ReviewBeforeReply { .. } => "filed_on",
            E::ConcludedWhilePending { .. }
            | E::ConclusionDateMissing
            | E::ConcludedBeforeFiled { .. } => "concluded_on",
            E::CaseClosed { .. }
            | E::CorrectionAfterReply { .. }
            | E::CorrectionAfterAcceptance
            | E::SecondCorrection { .. }
            | E::NoCorrectionRequested
            | E::AlreadyCorrected { .. }
            | E::CorrectionAfterDecision { .. }
            | E::AlreadyAccepted { .. }
            | E::AwaitingCorrection
            | E::NotAccepted { .. }
            | E::ReplyBeforeAcceptance { .. }
            | E::AfterDraft { .. }
            | E::ConsultationOpen { .. }
            | E::SecondExtension { .. }
            | E::FeeAlreadyNotified { .. }
            | E::FeeNotOutstanding
            | E::AlreadyDrafted { .. }
            | E::NotDrafted { .. }
            | E::NotApproved { .. } => "command",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn draft(on: &str, outcome: OutcomeCode) -> Command {
        Command::Draft {
            on: d(on),
            outcome,
            legal_basis: "《中华人民共和国政府信息公开条例》第三十六条".into(),
            reply_text: "经审查……".into(),
        }
    }

    /// A case accepted on its receipt date.
    fn accepted(on: &str) -> Case {
        let mut case = Case::received(d(on));
        case.handle(&Command::Accept { on: d(on) }).unwrap();
        case
    }

    /// A case served with `outcome` on `on`, received and accepted on 2024-03-05.
    fn closed(outcome: OutcomeCode, on: &str) -> Case {
        let mut case = accepted("2024-03-05");
        case.handle(&draft(on, outcome)).unwrap();
        case.handle(&Command::Approve {
            on: d(on),
            levels_required: 1,
        })
        .unwrap();
        case.handle(&Command::Serve { on: d(on) }).unwrap();
        case
    }

    /// Assert that `cmd` is refused with `code` and `field`, and leaves the case unchanged.
    #[track_caller]
    fn refused(case: &Case, cmd: Command, code: &str, field: &str) -> TransitionError {
        let mut after = case.clone();
        let err = after.handle(&cmd).unwrap_err();
        assert_eq!((err.code(), err.field()), (code, field), "{err}");
        assert_eq!(&after, case, "a refused command must not change the case");
        assert!(!err.to_string().is_empty());
        err
    }

    #[test]
    fn full_happy_path() {
        let mut case = Case::received(d("2024-03-05"));
        assert_eq!(case.stage(), Stage::Received);
        let steps: Vec<(Command, Stage, Vec<&str>)> = vec![
            (
                Command::RequestCorrection {
                    on: d("2024-03-07"),
                    due_on: Some(d("2024-03-28")),
                },
                Stage::AwaitingCorrection,
                vec!["correction_requested"],
            ),
            (
                Command::Correct {
                    on: d("2024-03-12"),
                },
                Stage::InProgress,
                vec!["corrected"],
            ),
            (
                Command::Consult {
                    on: d("2024-03-20"),
                    kind: ConsultationKind::ThirdParty,
                },
                Stage::InProgress,
                vec!["consultation_started"],
            ),
            (
                Command::ConsultationReplied {
                    on: d("2024-03-28"),
                    kind: ConsultationKind::ThirdParty,
                },
                Stage::InProgress,
                vec!["consultation_replied"],
            ),
            (
                Command::Extend {
                    on: d("2024-04-01"),
                    days: 20,
                    max_days: 20,
                },
                Stage::InProgress,
                vec!["extended"],
            ),
            (
                Command::NotifyFee {
                    on: d("2024-04-02"),
                    amount: Decimal::new(30000, 2),
                },
                Stage::InProgress,
                vec!["fee_notified"],
            ),
            (
                Command::PayFee {
                    on: d("2024-04-08"),
                },
                Stage::InProgress,
                vec!["fee_paid"],
            ),
            (
                draft("2024-04-10", OutcomeCode::Disclosed),
                Stage::Drafted,
                vec!["drafted"],
            ),
            (
                Command::Return {
                    on: d("2024-04-11"),
                    reason: " 应部分公开 ".into(),
                },
                Stage::InProgress,
                vec!["returned"],
            ),
            (
                draft("2024-04-12", OutcomeCode::PartiallyDisclosed),
                Stage::Drafted,
                vec!["drafted"],
            ),
            (
                Command::Approve {
                    on: d("2024-04-15"),
                    levels_required: 2,
                },
                Stage::Drafted,
                vec!["approval_given"],
            ),
            (
                Command::Approve {
                    on: d("2024-04-16"),
                    levels_required: 2,
                },
                Stage::Approved,
                vec!["approval_given", "approved"],
            ),
            (
                Command::Serve {
                    on: d("2024-04-20"),
                },
                Stage::Closed,
                vec!["served"],
            ),
            (
                Command::RecordReview {
                    filed_on: d("2024-05-10"),
                    kind: ReviewKind::Review,
                    result: ReviewResult::Upheld,
                    concluded_on: Some(d("2024-07-01")),
                },
                Stage::Closed,
                vec!["review_recorded"],
            ),
        ];
        let mut all = Vec::new();
        for (cmd, stage, names) in steps {
            let events = case.handle(&cmd).unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
            assert_eq!(
                events.iter().map(CaseEvent::name).collect::<Vec<_>>(),
                names
            );
            assert_eq!(case.stage(), stage, "after {cmd:?}");
            all.extend(events);
        }
        assert_eq!(
            case.outcome(),
            Some((OutcomeCode::PartiallyDisclosed, d("2024-04-20")))
        );
        assert_eq!(case.version(), all.len() as u64);
        assert_eq!(case.version(), 15);
        assert_eq!(case.reply_clock_start(), d("2024-03-12"));
        assert_eq!(case.accepted_on(), Some(d("2024-03-12")));
        assert_eq!(
            case.extension(),
            Some(Extension {
                on: d("2024-04-01"),
                days: 20
            })
        );
        let fee = case.fee().unwrap();
        assert_eq!(
            (fee.amount, fee.paid_on),
            (Decimal::new(300, 0), Some(d("2024-04-08")))
        );
        assert_eq!(case.returns().len(), 1);
        assert_eq!(case.returns()[0].reason, "应部分公开");
        assert_eq!(case.returns()[0].outcome, OutcomeCode::Disclosed);
        let served = case.draft().unwrap();
        assert_eq!(served.outcome, OutcomeCode::PartiallyDisclosed);
        assert_eq!(served.approvals, [d("2024-04-15"), d("2024-04-16")]);
        assert_eq!(case.approvals_given(), 2);
        assert_eq!(case.consultations().len(), 1);
        assert_eq!(case.open_consultations().count(), 0);
        assert_eq!(case.reviews().len(), 1);
        assert_eq!(case.last_date(), d("2024-04-20"));

        // The events alone rebuild the case, and the case survives JSON storage.
        assert_eq!(Case::replay(d("2024-03-05"), &all), case);
        let json = serde_json::to_string(&case).unwrap();
        assert_eq!(serde_json::from_str::<Case>(&json).unwrap(), case);
        let events_json = serde_json::to_string(&all).unwrap();
        assert_eq!(
            serde_json::from_str::<Vec<CaseEvent>>(&events_json).unwrap(),
            all
        );
        assert!(
            events_json.contains(r#"{"event":"fee_notified","on":"2024-04-02","amount":"300.00"}"#)
        );
        assert!(events_json.contains(r#""kind":"third_party""#));
    }

    #[test]
    fn decide_never_mutates() {
        let case = accepted("2024-03-05");
        let before = case.clone();
        let events = case.decide(&Command::Extend {
            on: d("2024-03-06"),
            days: 5,
            max_days: 20,
        });
        assert_eq!(events.unwrap().len(), 1);
        assert_eq!(case, before);
    }

    #[test]
    fn dates_are_chronological_and_not_before_receipt() {
        let case = accepted("2024-03-05");
        let err = refused(
            &case,
            Command::Consult {
                on: d("2024-03-04"),
                kind: ConsultationKind::ThirdParty,
            },
            "date_before_receipt",
            "on",
        );
        assert_eq!(err.to_string(), "日期2024-03-04早于收到申请之日2024-03-05");
        let mut case = case;
        case.handle(&Command::Consult {
            on: d("2024-03-10"),
            kind: ConsultationKind::OtherAgency,
        })
        .unwrap();
        refused(
            &case,
            Command::ConsultationReplied {
                on: d("2024-03-09"),
                kind: ConsultationKind::OtherAgency,
            },
            "date_before_previous",
            "on",
        );
        // The same day as the last event is fine.
        case.handle(&Command::ConsultationReplied {
            on: d("2024-03-10"),
            kind: ConsultationKind::OtherAgency,
        })
        .unwrap();
    }

    #[test]
    fn acceptance_rules() {
        let received = Case::received(d("2024-03-05"));
        for outcome in [OutcomeCode::Disclosed, OutcomeCode::NotProcessedDuplicate] {
            refused(
                &received,
                draft("2024-03-06", outcome),
                "reply_before_acceptance",
                "command",
            );
        }
        refused(
            &received,
            Command::Extend {
                on: d("2024-03-06"),
                days: 5,
                max_days: 20,
            },
            "not_accepted",
            "command",
        );
        refused(
            &received,
            Command::Serve {
                on: d("2024-03-06"),
            },
            "not_approved",
            "command",
        );
        let case = accepted("2024-03-05");
        refused(
            &case,
            Command::Accept {
                on: d("2024-03-06"),
            },
            "already_accepted",
            "command",
        );
        let mut awaiting = Case::received(d("2024-03-05"));
        awaiting
            .handle(&Command::RequestCorrection {
                on: d("2024-03-06"),
                due_on: None,
            })
            .unwrap();
        refused(
            &awaiting,
            Command::Accept {
                on: d("2024-03-06"),
            },
            "awaiting_correction",
            "command",
        );
        refused(
            &awaiting,
            draft("2024-03-07", OutcomeCode::Disclosed),
            "reply_before_acceptance",
            "command",
        );
        refused(
            &awaiting,
            Command::Consult {
                on: d("2024-03-07"),
                kind: ConsultationKind::ThirdParty,
            },
            "not_accepted",
            "command",
        );
    }

    #[test]
    fn correction_rules() {
        let received = Case::received(d("2024-03-05"));
        refused(
            &received,
            Command::Correct {
                on: d("2024-03-06"),
            },
            "no_correction_requested",
            "command",
        );
        refused(
            &received,
            Command::RequestCorrection {
                on: d("2024-03-06"),
                due_on: Some(d("2024-03-06")),
            },
            "correction_due_not_after_request",
            "due_on",
        );
        refused(
            &accepted("2024-03-05"),
            Command::RequestCorrection {
                on: d("2024-03-06"),
                due_on: None,
            },
            "correction_after_acceptance",
            "command",
        );

        let mut case = received.clone();
        case.handle(&Command::RequestCorrection {
            on: d("2024-03-06"),
            due_on: Some(d("2024-03-27")),
        })
        .unwrap();
        refused(
            &case,
            Command::RequestCorrection {
                on: d("2024-03-07"),
                due_on: None,
            },
            "second_correction",
            "command",
        );
        case.handle(&Command::Correct {
            on: d("2024-03-10"),
        })
        .unwrap();
        assert_eq!(case.stage(), Stage::InProgress);
        assert_eq!(case.reply_clock_start(), d("2024-03-10"));
        refused(
            &case,
            Command::Correct {
                on: d("2024-03-11"),
            },
            "already_corrected",
            "command",
        );
        // One correction per case: "一次性告知".
        refused(
            &case,
            Command::RequestCorrection {
                on: d("2024-03-11"),
                due_on: None,
            },
            "second_correction",
            "command",
        );

        let served = closed(OutcomeCode::Disclosed, "2024-03-20");
        let err = refused(
            &served,
            Command::RequestCorrection {
                on: d("2024-03-21"),
                due_on: None,
            },
            "correction_after_reply",
            "command",
        );
        assert!(err.to_string().contains("2024-03-20"));
        refused(
            &served,
            Command::Correct {
                on: d("2024-03-21"),
            },
            "correction_after_reply",
            "command",
        );
    }

    #[test]
    fn correction_overdue_and_unclear_after_correction() {
        let mut case = Case::received(d("2024-03-05"));
        case.handle(&Command::RequestCorrection {
            on: d("2024-03-06"),
            due_on: Some(d("2024-03-27")),
        })
        .unwrap();
        refused(
            &case,
            draft("2024-03-27", OutcomeCode::OtherCorrectionOverdue),
            "correction_not_overdue",
            "on",
        );
        case.handle(&draft("2024-03-28", OutcomeCode::OtherCorrectionOverdue))
            .unwrap();
        refused(
            &case,
            Command::Correct {
                on: d("2024-03-29"),
            },
            "correction_after_decision",
            "command",
        );
        // Sent back: the case waits for the correction again, it was never accepted.
        case.handle(&Command::Return {
            on: d("2024-03-29"),
            reason: "申请人有正当理由".into(),
        })
        .unwrap();
        assert_eq!(case.stage(), Stage::AwaitingCorrection);
        case.handle(&Command::Correct {
            on: d("2024-03-30"),
        })
        .unwrap();
        case.handle(&draft(
            "2024-04-02",
            OutcomeCode::UnavailableUnclearAfterCorrection,
        ))
        .unwrap();

        let plain = accepted("2024-03-05");
        refused(
            &plain,
            draft("2024-03-06", OutcomeCode::OtherCorrectionOverdue),
            "outcome_needs_pending_correction",
            "outcome",
        );
        refused(
            &plain,
            draft("2024-03-06", OutcomeCode::UnavailableUnclearAfterCorrection),
            "outcome_needs_correction",
            "outcome",
        );
    }

    #[test]
    fn consultation_rules() {
        let mut case = accepted("2024-03-05");
        refused(
            &case,
            Command::ConsultationReplied {
                on: d("2024-03-06"),
                kind: ConsultationKind::ThirdParty,
            },
            "no_open_consultation",
            "kind",
        );
        case.handle(&Command::Consult {
            on: d("2024-03-06"),
            kind: ConsultationKind::ThirdParty,
        })
        .unwrap();
        case.handle(&Command::Consult {
            on: d("2024-03-07"),
            kind: ConsultationKind::OtherAgency,
        })
        .unwrap();
        assert_eq!(case.open_consultations().count(), 2);
        refused(
            &case,
            Command::Consult {
                on: d("2024-03-08"),
                kind: ConsultationKind::ThirdParty,
            },
            "consultation_already_open",
            "kind",
        );
        refused(
            &case,
            draft("2024-03-08", OutcomeCode::Disclosed),
            "consultation_open",
            "command",
        );
        // An extension while a consultation is open is allowed (the fixture has one).
        case.handle(&Command::Extend {
            on: d("2024-03-08"),
            days: 10,
            max_days: 20,
        })
        .unwrap();
        case.handle(&Command::ConsultationReplied {
            on: d("2024-03-09"),
            kind: ConsultationKind::OtherAgency,
        })
        .unwrap();
        refused(
            &case,
            Command::ConsultationReplied {
                on: d("2024-03-09"),
                kind: ConsultationKind::OtherAgency,
            },
            "no_open_consultation",
            "kind",
        );
        case.handle(&Command::ConsultationReplied {
            on: d("2024-03-10"),
            kind: ConsultationKind::ThirdParty,
        })
        .unwrap();
        // A second round with the same kind, once the first is answered.
        case.handle(&Command::Consult {
            on: d("2024-03-11"),
            kind: ConsultationKind::ThirdParty,
        })
        .unwrap();
        assert_eq!(case.consultations().len(), 3);
        assert_eq!(
            case.open_consultation(ConsultationKind::ThirdParty)
                .unwrap()
                .started_on,
            d("2024-03-11")
        );
    }

    #[test]
    fn extension_rules() {
        let mut case = accepted("2024-03-05");
        let extend = |days, max_days| Command::Extend {
            on: d("2024-03-20"),
            days,
            max_days,
        };
        let err = refused(&case, extend(21, 20), "extension_too_long", "days");
        assert_eq!(err.to_string(), "延期21个工作日超过上限20个工作日");
        refused(&case, extend(0, 20), "extension_zero", "days");
        refused(&case, extend(16, 15), "extension_too_long", "days");
        case.handle(&extend(15, 15)).unwrap();
        let err = refused(&case, extend(5, 20), "second_extension", "command");
        assert_eq!(
            err.to_string(),
            "本案已于2024-03-20延期答复15个工作日；延期答复只能一次"
        );
        case.handle(&draft("2024-03-21", OutcomeCode::Disclosed))
            .unwrap();
        let late = Command::Extend {
            on: d("2024-03-22"),
            days: 5,
            max_days: 20,
        };
        refused(&case, late, "after_draft", "command");
    }

    #[test]
    fn fee_rules() {
        let mut case = accepted("2024-03-05");
        let notify = |amount: Decimal| Command::NotifyFee {
            on: d("2024-03-06"),
            amount,
        };
        refused(
            &case,
            Command::PayFee {
                on: d("2024-03-06"),
            },
            "fee_not_outstanding",
            "command",
        );
        refused(&case, notify(Decimal::ZERO), "invalid_fee_amount", "amount");
        refused(
            &case,
            notify(Decimal::new(-100, 0)),
            "invalid_fee_amount",
            "amount",
        );
        refused(
            &case,
            notify(Decimal::new(1001, 3)),
            "invalid_fee_amount",
            "amount",
        );
        refused(
            &case,
            draft("2024-03-06", OutcomeCode::OtherFeeOverdue),
            "outcome_needs_unpaid_fee",
            "outcome",
        );
        case.handle(&notify(Decimal::new(100, 0))).unwrap();
        assert!(case.fee_outstanding());
        refused(
            &case,
            notify(Decimal::new(100, 0)),
            "fee_already_notified",
            "command",
        );
        refused(
            &case,
            draft("2024-03-07", OutcomeCode::Disclosed),
            "fee_outstanding",
            "outcome",
        );

        // Not paid: the applicant is deemed to have abandoned; a late payment needs a return.
        let mut overdue = case.clone();
        overdue
            .handle(&draft("2024-04-08", OutcomeCode::OtherFeeOverdue))
            .unwrap();
        refused(
            &overdue,
            Command::PayFee {
                on: d("2024-04-09"),
            },
            "after_draft",
            "command",
        );

        case.handle(&Command::PayFee {
            on: d("2024-03-06"),
        })
        .unwrap();
        refused(
            &case,
            Command::PayFee {
                on: d("2024-03-11"),
            },
            "fee_not_outstanding",
            "command",
        );
        refused(
            &case,
            notify(Decimal::new(100, 0)),
            "fee_already_notified",
            "command",
        );
        refused(
            &case,
            draft("2024-03-11", OutcomeCode::OtherFeeOverdue),
            "outcome_needs_unpaid_fee",
            "outcome",
        );
        case.handle(&draft("2024-03-11", OutcomeCode::Disclosed))
            .unwrap();
    }

    #[test]
    fn draft_approval_and_service_rules() {
        let mut case = accepted("2024-03-05");
        refused(
            &case,
            Command::Approve {
                on: d("2024-03-06"),
                levels_required: 1,
            },
            "not_drafted",
            "command",
        );
        refused(
            &case,
            Command::Return {
                on: d("2024-03-06"),
                reason: "x".into(),
            },
            "not_drafted",
            "command",
        );
        case.handle(&draft("2024-03-06", OutcomeCode::WithheldStateSecret))
            .unwrap();
        refused(
            &case,
            draft("2024-03-06", OutcomeCode::Disclosed),
            "already_drafted",
            "command",
        );
        refused(
            &case,
            Command::Return {
                on: d("2024-03-06"),
                reason: "  ".into(),
            },
            "empty_return_reason",
            "reason",
        );
        refused(
            &case,
            Command::Approve {
                on: d("2024-03-06"),
                levels_required: 0,
            },
            "no_approval_levels",
            "levels_required",
        );
        refused(
            &case,
            Command::Serve {
                on: d("2024-03-06"),
            },
            "not_approved",
            "command",
        );
        case.handle(&Command::Approve {
            on: d("2024-03-07"),
            levels_required: 3,
        })
        .unwrap();
        assert_eq!((case.stage(), case.approvals_given()), (Stage::Drafted, 1));
        // A return clears the approvals given so far.
        case.handle(&Command::Return {
            on: d("2024-03-08"),
            reason: "定密依据不足".into(),
        })
        .unwrap();
        assert_eq!(
            (case.stage(), case.approvals_given(), case.draft()),
            (Stage::InProgress, 0, None)
        );
        case.handle(&draft("2024-03-09", OutcomeCode::Disclosed))
            .unwrap();
        let events = case
            .handle(&Command::Approve {
                on: d("2024-03-09"),
                levels_required: 1,
            })
            .unwrap();
        assert_eq!(
            events,
            [
                CaseEvent::ApprovalGiven {
                    on: d("2024-03-09"),
                    level: 1
                },
                CaseEvent::Approved {
                    on: d("2024-03-09")
                }
            ]
        );
        refused(
            &case,
            Command::Approve {
                on: d("2024-03-09"),
                levels_required: 2,
            },
            "not_drafted",
            "command",
        );
        refused(
            &case,
            Command::Return {
                on: d("2024-03-09"),
                reason: "x".into(),
            },
            "not_drafted",
            "command",
        );
        refused(
            &case,
            Command::Extend {
                on: d("2024-03-09"),
                days: 1,
                max_days: 20,
            },
            "after_draft",
            "command",
        );
        refused(
            &case,
            Command::Serve {
                on: d("2024-03-08"),
            },
            "date_before_previous",
            "on",
        );
        case.handle(&Command::Serve {
            on: d("2024-03-10"),
        })
        .unwrap();
        assert_eq!(
            case.outcome(),
            Some((OutcomeCode::Disclosed, d("2024-03-10")))
        );
        let err = refused(
            &case,
            Command::Serve {
                on: d("2024-03-11"),
            },
            "case_closed",
            "command",
        );
        assert_eq!(
            err.to_string(),
            "本案已于2024-03-10答复办结，不能再送达答复，只能登记复议或诉讼"
        );
        refused(
            &case,
            Command::Accept {
                on: d("2024-03-11"),
            },
            "case_closed",
            "command",
        );
        refused(
            &case,
            Command::PayFee {
                on: d("2024-03-11"),
            },
            "case_closed",
            "command",
        );
    }

    #[test]
    fn review_rules() {
        let review = |filed_on: &str, result, concluded_on: Option<&str>| Command::RecordReview {
            filed_on: d(filed_on),
            kind: ReviewKind::LitigationDirect,
            result,
            concluded_on: concluded_on.map(d),
        };
        refused(
            &accepted("2024-03-05"),
            review("2024-04-01", ReviewResult::Pending, None),
            "review_of_open_case",
            "filed_on",
        );
        let mut case = closed(OutcomeCode::UnavailableNotHeld, "2024-03-20");
        refused(
            &case,
            review("2024-03-19", ReviewResult::Pending, None),
            "review_before_reply",
            "filed_on",
        );
        refused(
            &case,
            review("2024-04-01", ReviewResult::Pending, Some("2024-05-01")),
            "concluded_while_pending",
            "concluded_on",
        );
        refused(
            &case,
            review("2024-04-01", ReviewResult::Upheld, None),
            "conclusion_date_missing",
            "concluded_on",
        );
        refused(
            &case,
            review("2024-04-01", ReviewResult::Corrected, Some("2024-03-31")),
            "concluded_before_filed",
            "concluded_on",
        );
        // Reviews are dated by their own filing, not by the order they are recorded in.
        case.handle(&review("2024-06-01", ReviewResult::Pending, None))
            .unwrap();
        case.handle(&review(
            "2024-03-20",
            ReviewResult::Other,
            Some("2024-05-01"),
        ))
        .unwrap();
        assert_eq!(case.reviews().len(), 2);
        assert_eq!(case.last_date(), d("2024-03-20"));
    }

    #[test]
    fn error_codes_are_distinct() {
        let day = d("2024-01-01");
        let errors = [
            TransitionError::DateBeforeReceipt {
                field: "on",
                on: day,
                received_on: day,
            },
            TransitionError::DateBeforePrevious {
                field: "on",
                on: day,
                last: day,
            },
            TransitionError::CaseClosed {
                action: "x",
                replied_on: day,
            },
            TransitionError::CorrectionAfterReply { replied_on: day },
            TransitionError::CorrectionAfterAcceptance,
            TransitionError::SecondCorrection { requested_on: day },
            TransitionError::CorrectionDueNotAfterRequest {
                on: day,
                due_on: day,
            },
            TransitionError::NoCorrectionRequested,
            TransitionError::AlreadyCorrected { corrected_on: day },
            TransitionError::CorrectionAfterDecision {
                stage: Stage::Drafted,
            },
            TransitionError::AlreadyAccepted { accepted_on: None },
            TransitionError::AwaitingCorrection,
            TransitionError::NotAccepted { action: "x" },
            TransitionError::ReplyBeforeAcceptance {
                stage: Stage::Received,
            },
            TransitionError::AfterDraft { action: "x" },
            TransitionError::ConsultationAlreadyOpen {
                kind: ConsultationKind::ThirdParty,
                since: day,
            },
            TransitionError::NoOpenConsultation {
                kind: ConsultationKind::OtherAgency,
            },
            TransitionError::SecondExtension { on: day, days: 1 },
            TransitionError::ExtensionZero,
            TransitionError::ExtensionTooLong {
                days: 1,
                max_days: 0,
            },
            TransitionError::FeeAlreadyNotified { on: day },
            TransitionError::InvalidFeeAmount {
                amount: Decimal::ZERO,
            },
            TransitionError::FeeNotOutstanding,
            TransitionError::FeeOutstanding { notified_on: day },
            TransitionError::ConsultationOpen {
                kind: ConsultationKind::ThirdParty,
                since: day,
            },
            TransitionError::OutcomeNeedsPendingCorrection,
            TransitionError::CorrectionNotOverdue {
                on: day,
                due_on: day,
            },
            TransitionError::OutcomeNeedsCorrection,
            TransitionError::OutcomeNeedsUnpaidFee,
            TransitionError::AlreadyDrafted {
                stage: Stage::Drafted,
            },
            TransitionError::NotDrafted {
                stage: Stage::InProgress,
            },
            TransitionError::EmptyReturnReason,
            TransitionError::NoApprovalLevels,
            TransitionError::NotApproved {
                stage: Stage::Drafted,
            },
            TransitionError::ReviewOfOpenCase {
                stage: Stage::InProgress,
            },
            TransitionError::ReviewBeforeReply {
                filed_on: day,
                replied_on: day,
            },
            TransitionError::ConcludedWhilePending { concluded_on: day },
            TransitionError::ConclusionDateMissing,
            TransitionError::ConcludedBeforeFiled {
                filed_on: day,
                concluded_on: day,
            },
        ];
        let codes: std::collections::HashSet<&str> = errors.iter().map(|e| e.code()).collect();
        assert_eq!(codes.len(), errors.len());
        assert_eq!(
            TransitionError::AlreadyAccepted {
                accepted_on: Some(day)
            }
            .to_string(),
            "申请已于2024-01-01受理，不能重复受理"
        );
        assert_eq!(
            TransitionError::NoOpenConsultation {
                kind: ConsultationKind::OtherAgency
            }
            .to_string(),
            "没有向其他机关征求且尚未回复的意见"
        );
    }

    // ---- property test: random command sequences keep the invariants ----

    const MAX_DAYS: u32 = 20;

    /// A raw step: command kind, day shift, a small number, an outcome index, a flag.
    type Step = (u8, i64, u32, usize, bool);

    fn step() -> impl Strategy<Value = Step> {
        let kind = prop_oneof![
            3 => Just(0u8), 2 => Just(1), 2 => Just(2), 2 => Just(3), 2 => Just(4), 2 => Just(5),
            2 => Just(6), 2 => Just(7), 5 => Just(8), 1 => Just(9), 5 => Just(10), 4 => Just(11),
            2 => Just(12),
        ];
        (
            kind,
            -3i64..10,
            0u32..25,
            0usize..OutcomeCode::ALL.len(),
            any::<bool>(),
        )
    }

    fn command(step: Step, cursor: &mut NaiveDate) -> Command {
        let (kind, shift, n, outcome, flag) = step;
        *cursor += chrono::Duration::days(shift);
        let on = *cursor;
        let consult = if flag {
            ConsultationKind::ThirdParty
        } else {
            ConsultationKind::OtherAgency
        };
        // Favour outcomes that are usually allowed, but try every one.
        let outcome = if flag {
            OutcomeCode::ALL[outcome]
        } else {
            OutcomeCode::Disclosed
        };
        match kind {
            0 => Command::Accept { on },
            1 => Command::RequestCorrection {
                on,
                due_on: flag.then(|| on + chrono::Duration::days(i64::from(n) - 2)),
            },
            2 => Command::Correct { on },
            3 => Command::Consult { on, kind: consult },
            4 => Command::ConsultationReplied { on, kind: consult },
            5 => Command::Extend {
                on,
                days: n,
                max_days: MAX_DAYS,
            },
            6 => Command::NotifyFee {
                on,
                amount: Decimal::new(i64::from(n) * 1000 - 2000, 2),
            },
            7 => Command::PayFee { on },
            8 => Command::Draft {
                on,
                outcome,
                legal_basis: String::new(),
                reply_text: String::new(),
            },
            9 => Command::Return {
                on,
                reason: if flag { "理由".into() } else { String::new() },
            },
            10 => Command::Approve {
                on,
                levels_required: n % 3,
            },
            11 => Command::Serve { on },
            _ => {
                let result = ReviewResult::ALL[n as usize % ReviewResult::ALL.len()];
                Command::RecordReview {
                    filed_on: on,
                    kind: ReviewKind::ALL[n as usize % ReviewKind::ALL.len()],
                    result,
                    concluded_on: flag.then(|| on + chrono::Duration::days(i64::from(n) - 3)),
                }
            }
        }
    }

    /// Every procedural date the case holds (reviews excluded).
    fn recorded_dates(case: &Case) -> Vec<NaiveDate> {
        let mut dates = vec![case.received_on()];
        dates.extend(case.accepted_on());
        if let Some(c) = case.correction() {
            dates.push(c.requested_on);
            dates.extend(c.corrected_on);
        }
        for c in case.consultations() {
            dates.push(c.started_on);
            dates.extend(c.replied_on);
        }
        dates.extend(case.extension().map(|e| e.on));
        if let Some(f) = case.fee() {
            dates.push(f.notified_on);
            dates.extend(f.paid_on);
        }
        if let Some(dr) = case.draft() {
            dates.push(dr.drafted_on);
            dates.extend(dr.approvals.iter().copied());
            dates.extend(dr.approved_on);
        }
        dates.extend(case.returns().iter().map(|r| r.on));
        dates.extend(case.outcome().map(|(_, on)| on));
        dates
    }

    fn check_invariants(case: &Case) {
        let dates = recorded_dates(case);
        assert!(dates.iter().all(|day| *day >= case.received_on()));
        assert_eq!(dates.iter().max().copied(), Some(case.last_date()));
        assert!(case.open_consultations().count() <= ConsultationKind::ALL.len());
        if let Some(ext) = case.extension() {
            assert!((1..=MAX_DAYS).contains(&ext.days));
        }
        if let Some(fee) = case.fee() {
            assert!(fee.amount > Decimal::ZERO);
            assert!(fee.paid_on.is_none_or(|p| p >= fee.notified_on));
        }
        if let Some(c) = case.correction() {
            assert!(c.corrected_on.is_none_or(|on| on >= c.requested_on));
        }
        match case.stage() {
            Stage::Received => {
                assert!(case.accepted_on().is_none() && case.correction().is_none());
                assert!(case.draft().is_none() && case.consultations().is_empty());
            }
            Stage::AwaitingCorrection => {
                assert!(case.correction().is_some_and(|c| c.corrected_on.is_none()));
                assert!(case.accepted_on().is_none() && case.draft().is_none());
            }
            Stage::InProgress => {
                assert!(case.accepted_on().is_some() && case.draft().is_none());
            }
            Stage::Drafted | Stage::Approved => {
                let draft = case.draft().expect("a draft in the approval stages");
                assert_eq!(draft.approved_on.is_some(), case.stage() == Stage::Approved);
                assert_eq!(case.open_consultations().count(), 0);
            }
            Stage::Closed => {}
        }
        if case.stage() != Stage::InProgress {
            assert_eq!(
                case.open_consultations().count(),
                0,
                "open consultation in {:?}",
                case.stage()
            );
        }
        assert_eq!(case.outcome().is_some(), case.stage() == Stage::Closed);
        if let Some((outcome, replied_on)) = case.outcome() {
            assert!(replied_on >= case.received_on());
            assert!(dates.iter().all(|day| *day <= replied_on));
            assert_eq!(case.last_date(), replied_on);
            let draft = case.draft().expect("a closed case keeps its served draft");
            assert_eq!(draft.outcome, outcome);
            assert!(draft.approved_on.is_some_and(|a| a <= replied_on));
            match outcome {
                OutcomeCode::OtherCorrectionOverdue => assert!(case.accepted_on().is_none()),
                OutcomeCode::OtherFeeOverdue => assert!(case.fee_outstanding()),
                OutcomeCode::UnavailableUnclearAfterCorrection => {
                    assert!(case.correction().is_some_and(|c| c.corrected_on.is_some()));
                    assert!(!case.fee_outstanding());
                }
                _ => assert!(case.accepted_on().is_some() && !case.fee_outstanding()),
            }
            for review in case.reviews() {
                assert!(review.filed_on >= replied_on);
                assert_eq!(
                    review.concluded_on.is_none(),
                    review.result == ReviewResult::Pending
                );
            }
        } else {
            assert!(case.reviews().is_empty());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn random_commands_keep_the_invariants(
            received_offset in 0i64..800,
            steps in prop::collection::vec(step(), 0..80),
        ) {
            let received_on = d("2023-01-01") + chrono::Duration::days(received_offset);
            let mut case = Case::received(received_on);
            let mut cursor = received_on;
            let mut applied: Vec<CaseEvent> = Vec::new();
            for raw in steps {
                let cmd = command(raw, &mut cursor);
                let before = case.clone();
                let decided = case.decide(&cmd);
                prop_assert_eq!(&case, &before, "decide must be pure");
                match case.handle(&cmd) {
                    Ok(events) => {
                        prop_assert_eq!(Ok(events.clone()), decided);
                        prop_assert!(!events.is_empty());
                        prop_assert!(events.iter().all(|e| e.date() == cmd.date()));
                        prop_assert_eq!(case.version(), before.version() + events.len() as u64);
                        applied.extend(events);
                    }
                    Err(err) => {
                        prop_assert_eq!(Err(err.clone()), decided);
                        prop_assert_eq!(&case, &before, "{} left the case changed", err.code());
                        prop_assert!(!err.field().is_empty());
                    }
                }
                prop_assert_eq!(case.version(), applied.len() as u64);
                check_invariants(&case);
            }
            prop_assert_eq!(&Case::replay(received_on, &applied), &case);
            let json = serde_json::to_string(&case).unwrap();
            prop_assert_eq!(serde_json::from_str::<Case>(&json).unwrap(), case);
        }
    }
}

//! What the audit trail records: one action per kind of change. The stored name is the
//! action's string (`request.created`), which the event's hash covers; events written before an
//! action was renamed keep their old name.

use crate::strings::string_enum;

string_enum! {
    /// A kind of audited change.
    pub enum AuditAction("audit action") {
        /// A request was taken in.
        RequestCreated = "request.created",
        /// The requester's identity was confirmed (link, detail, or vouched by staff).
        RequestVerified = "request.verified",
        /// A request in progress became one task per system.
        RequestFannedOut = "request.fanned_out",
        /// The work of a request settled: the recipients' notices (Art. 19) were planned.
        RequestNoticesPlanned = "request.notices_planned",
        /// Every task of a request is final: it waits for the officer's review.
        RequestTasksSettled = "request.tasks_settled",
        /// The officer approved the answer.
        RequestApproved = "request.approved",
        /// The officer refused the request, with the reason.
        RequestDenied = "request.denied",
        /// The period was extended (Art. 12(3)), with the reason.
        RequestExtended = "request.extended",
        /// The request went to the controller we process the data for (Art. 28).
        RequestForwarded = "request.forwarded",
        /// The requester withdrew the request.
        RequestWithdrawn = "request.withdrawn",
        /// The request was sent back to work.
        RequestReopened = "request.reopened",
        /// Closed: the requester never confirmed their identity.
        RequestClosedUnidentified = "request.closed_unidentified",
        /// A task finished (succeeded, nothing found, or kept under a rule).
        TaskFinished = "task.finished",
        /// A task failed for good.
        TaskFailed = "task.failed",
        /// A task failed for now and will be tried again.
        TaskRetryScheduled = "task.retry_scheduled",
        /// The officer asked for a failed task to be tried again.
        TaskRetried = "task.retried",
        /// A processor took the task and will answer later.
        TaskAcceptedByProcessor = "task.accepted_by_processor",
        /// The task waits for someone to do it by hand.
        TaskAwaitingManual = "task.awaiting_manual",
        /// Someone did the task by hand.
        TaskCompletedByHand = "task.completed_by_hand",
        /// The task's mail to a processor went out (request or reminder).
        TaskMailSent = "task.mail_sent",
        /// A recipient acknowledged its Art. 19 notice through its link.
        TaskAcknowledgedByRecipient = "task.acknowledged_by_recipient",
        /// The processor confirmed through its link.
        TaskConfirmedByProcessor = "task.confirmed_by_processor",
        /// The processor stayed silent: the task went to the officer.
        TaskEscalated = "task.escalated",
        /// The request closed while a processor still had the task: it was asked to drop it.
        TaskCancelledAtProcessor = "task.cancelled_at_processor",
        /// An access package was built.
        PackageBuilt = "package.built",
        /// An access package was downloaded.
        PackageDownloaded = "package.downloaded",
        /// An access package was deleted (expired, or the request closed).
        PackageDeleted = "package.deleted",
        /// A mail was handed to the relay.
        MailSent = "mail.sent",
        /// A mail could not be handed over for now.
        MailRetryScheduled = "mail.retry_scheduled",
        /// A mail failed for good.
        MailFailed = "mail.failed",
        /// Staff queued a failed mail again.
        MailResend = "mail.resend",
        /// A mail became requests.
        InboxRequestsCreated = "inbox.requests_created",
        /// A reply was attached to its request.
        InboxReplyAttached = "inbox.reply_attached",
        /// A mail needed nothing (an auto-reply, a bounce).
        InboxMessageIgnored = "inbox.message_ignored",
        /// A mail went to the officer's review queue.
        InboxReviewQueued = "inbox.review_queued",
        /// The officer turned a reviewed mail into requests.
        InboxReviewResolved = "inbox.review_resolved",
        /// The officer dismissed a reviewed mail.
        InboxReviewDismissed = "inbox.review_dismissed",
        /// A new identity link replaced the previous one.
        VerificationLinkRenewed = "verification.link_renewed",
        /// A wrong detail was given on the identity link.
        VerificationDetailMismatch = "verification.detail_mismatch",
        /// Staff displayed a subject's personal data.
        SubjectRevealed = "subject.revealed",
        /// An API token was created.
        TokenCreated = "token.created",
        /// An API token was re-issued under the same name.
        TokenReissued = "token.reissued",
        /// An API token was revoked.
        TokenRevoked = "token.revoked",
        /// A dashboard account was created.
        AccountCreated = "account.created",
        /// A dashboard account was disabled.
        AccountDisabled = "account.disabled",
        /// A dashboard account's password was set anew.
        AccountPasswordChanged = "account.password_changed",
        /// Someone signed in to the dashboard.
        AccountSignedIn = "account.signed_in",
        /// A sign-in was refused (wrong address or password, disabled account).
        AccountSignInFailed = "account.sign_in_failed",
        /// Someone signed out.
        AccountSignedOut = "account.signed_out",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_a_dotted_name_of_its_area() {
        for a in AuditAction::ALL {
            let (area, what) = a.as_str().split_once('.').expect("dotted");
            assert!(
                [
                    "request",
                    "task",
                    "package",
                    "mail",
                    "inbox",
                    "verification",
                    "subject",
                    "token",
                    "account"
                ]
                .contains(&area),
                "{a}"
            );
            assert!(
                what.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{a}"
            );
        }
    }
}

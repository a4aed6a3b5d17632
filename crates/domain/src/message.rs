//! Mail that dsrflow sends: who it is for, and where it stands in the outbox.

use crate::strings::string_enum;

string_enum! {
    /// Who a message is for.
    pub enum Audience("mail audience") {
        /// The data subject.
        Subject = "subject",
        /// A processor asked to act (`email` connector).
        Processor = "processor",
        /// A recipient told under Art. 19.
        Recipient = "recipient",
        /// The compliance officer.
        Officer = "officer",
        /// The controller we process the data for, to whom a request is forwarded.
        Controller = "controller",
    }
}

string_enum! {
    /// Where a queued message stands.
    pub enum MailStatus("mail status") {
        /// Waiting to be sent (first time, or again after a transient failure).
        Pending = "pending",
        /// A worker holds it until its lease ends.
        Sending = "sending",
        /// The relay accepted it.
        Sent = "sent",
        /// It failed for good; staff may queue it again.
        Failed = "failed",
    }
}

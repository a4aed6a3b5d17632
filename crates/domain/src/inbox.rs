//! Mail received at the privacy mailbox: what became of a message, and where a message that
//! waits for the officer stands.

use crate::strings::string_enum;

string_enum! {
    /// What became of a received message.
    pub enum InboxOutcome("inbox outcome") {
        /// It became one request per right asked for.
        Created = "created",
        /// It was a reply, attached to its request.
        Attached = "attached",
        /// It needed nothing (an auto-reply, a bounce, a copy already processed).
        Ignored = "ignored",
        /// It was not understood: it waits in the officer's review queue.
        Review = "review",
    }
}

string_enum! {
    /// Where a message in the review queue stands.
    pub enum ReviewStatus("review status") {
        /// Waiting for the officer.
        Open = "open",
        /// Turned into requests, or dismissed.
        Resolved = "resolved",
    }
}

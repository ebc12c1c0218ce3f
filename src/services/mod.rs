//! Use cases: each function takes a connection and parsed input, combines domain rules with
//! database calls, and records the audit trail. Shared by the web handlers and the CLI.

pub mod accounts;

//! Use cases: each function takes a connection and parsed input, combines domain rules with
//! database calls, and records the audit trail. Shared by the web handlers and the CLI.

pub mod accounts;
pub mod annual;
pub mod api_keys;
pub mod appeals;
pub mod cases;
pub mod demo;
pub mod departments;
pub mod invitations;
pub mod links;
pub mod questionnaires;
pub mod results;
pub mod review;
pub mod schemes;
pub mod sheets;
pub mod survey;

//! Use cases: each function takes a connection, a [`Ctx`] (who acts, when, in which time zone)
//! and parsed input, combines domain rules with database calls, and records the audit trail.
//! The console, the JSON API and the CLI call the same functions, so each rule exists once.

pub mod accounts;
pub mod annual;
pub mod api_keys;
pub mod appeals;
pub mod cases;
pub mod context;
pub mod demo;
pub mod departments;
pub mod invitations;
pub mod links;
pub mod questionnaires;
pub mod results;
pub mod retention;
pub mod review;
pub mod schemes;
pub mod sheets;
pub mod survey;

pub use context::{Actor, Audit, Ctx};

//! Pure domain logic and value types: no HTTP, no SQL. Everything here is tested directly.

pub mod account;
pub mod api_key;
pub mod appeal;
pub mod calendar;
pub mod cases;
pub mod clock;
pub mod csv_input;
pub mod department;
pub mod link;
pub mod period;
pub mod questionnaire;
pub mod results;
pub mod review;
pub mod schedule;
pub mod scoring;
pub mod survey;
pub mod text;
pub mod vocabulary;

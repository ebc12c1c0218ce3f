//! pingyi (评议): residents' ratings of government information-disclosure work, turned into
//! satisfaction rates, scores and rankings for the assessment office.
//!
//! Layers, from the outside in: `cli` and `web` parse input and render output; `services`
//! carry out use cases; `db` stores and queries; `domain` and `security` are pure logic.
//! See docs/architecture.md.

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod exports;
pub mod jobs;
pub mod mail;
pub mod security;
pub mod services;
pub mod startup;
pub mod telemetry;
pub mod web;

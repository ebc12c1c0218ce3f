//! Integration tests: the real server on a random port, over real HTTP, against a fresh
//! SQLite file and (when PINGYI_TEST_POSTGRES_URL is set) a fresh PostgreSQL database.
#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod fixtures;
mod helpers;

mod access;
mod admin;
mod api_collect;
mod audit;
mod backup;
mod browser;
mod cases;
mod casework;
mod cli;
mod contract;
mod dashboard;
mod demo;
mod departments;
mod dockerfile;
mod exports;
mod faults;
mod fuzz;
mod hardening;
mod health;
mod invitations;
mod links;
mod load;
mod modules;
mod public_results;
mod questionnaires;
mod results;
mod retention;
mod review;
mod satisfaction;
mod schema;
mod smtp;
mod snapshots;
mod startup;
mod survey;
mod users;

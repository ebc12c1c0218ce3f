//! Integration tests: the real server on a random port, over real HTTP, against a fresh
//! SQLite file and (when PINGYI_TEST_POSTGRES_URL is set) a fresh PostgreSQL database.
#![allow(clippy::unwrap_used)] // tests fail loudly by design

mod fixtures;
mod helpers;

mod access;
mod admin;
mod browser;
mod cli;
mod exports;
mod health;
mod invitations;
mod links;
mod results;
mod schema;
mod smtp;
mod startup;
mod survey;

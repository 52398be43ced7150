//! What every ogi service stands on:
//!
//! - [`auth`]: every call's token verified, permission and scope checks, the audit sink;
//! - [`config`]: typed configuration, layered defaults → file → environment → flags;
//! - [`store`]: sea-orm connections (SQLite embedded, PostgreSQL in production) and each
//!   service's migrations and tables;
//! - [`bus`]: JetStream streams, the transactional outbox (发件箱) published with `Nats-Msg-Id`,
//!   and idempotent consumers with an inbox of event ids (收件箱);
//! - [`arrivals`]: waiting on the server until a case has reached a service;
//! - [`events`]: building event envelopes;
//! - [`catalogue`]: catalogue documents in and out of their contract messages;
//! - [`shutdown`]: signals and graceful drain;
//! - [`telemetry`]: tracing setup;
//! - [`metrics`] and [`admin`]: counters in the Prometheus text format, and the admin HTTP
//!   endpoints (`/livez`, `/readyz`, `/metrics`).

pub mod admin;
pub mod arrivals;
pub mod auth;
pub mod bus;
pub mod casefile;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod convert;
pub mod error;
pub mod events;
pub mod facts;
pub mod metrics;
pub mod runtime;
pub mod shutdown;
pub mod store;
pub mod telemetry;

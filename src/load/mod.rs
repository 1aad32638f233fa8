//! Load campaigns: profiles as data (`profile`), run with Goose (`engine`),
//! measured (`record`), judged against SLO targets (`judge`) and recorded
//! for the run's reporters (`outcome`).

pub mod baseline;
pub mod campaign;
pub mod engine;
pub mod judge;
pub mod outcome;
pub mod profile;
pub mod record;

//! iamd-service

//! iamd-crypto

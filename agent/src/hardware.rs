//! Shared readers of hardware state (CPU topology and frequency, block devices, DMI, TPM)
//! for the `cpu.*`, `disk.*` and `hw.*` checks.

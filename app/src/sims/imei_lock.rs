//! IMEI lock: each SIM's binding to one device. The network's event records say which device
//! (IMEI) a SIM was seen in; the binding moves as they arrive:
//!
//! - Neutral: no binding. Armed: binds to the next device seen. Locked: bound to one IMEI.
//! - Differed: while locked, another device was seen. That raises the IMEI lock rules (which
//!   may suspend the SIM) and stays until someone with the right to change SIMs resolves it:
//!   accept the new device, or release the lock.
//!
//! Devices are compared by their first 14 digits (type allocation code and serial number), so
//! an IMEI with its check digit and an IMEISV with its software version name the same device.
use serde::{Deserialize, Serialize};

use crate::codes::code_enum;
use crate::i18n::K;

code_enum! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum LockState {
        Neutral = "neutral",
        Armed = "armed",
        Locked = "locked",
        Differed = "differed",
    }
}

impl LockState {
    pub fn label(self) -> K {
        match self {
            LockState::Neutral => K::ImeiLockNeutral,
            LockState::Armed => K::ImeiLockArmed,
            LockState::Locked => K::ImeiLockLocked,
            LockState::Differed => K::ImeiLockDiffered,
        }
    }
}

code_enum! {
    /// What a person does to a SIM's binding.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum LockOp {
        /// Bind to the next device seen.
        Arm = "arm",
        /// Bind to the device the SIM is in now.
        LockCurrent = "lock",
        /// Accept the other device that was seen: bind to it.
        Accept = "accept",
        /// Back to no binding.
        Release = "release",
    }
}

impl LockOp {
    pub fn label(self) -> K {
        match self {
            LockOp::Arm => K::ImeiLockArm,
            LockOp::LockCurrent => K::ImeiLockLockCurrent,
            LockOp::Accept => K::ImeiLockAccept,
            LockOp::Release => K::ImeiLockRelease,
        }
    }

    /// The operations open in a state (with or without a known current device).
    pub fn open(state: LockState, has_device: bool) -> Vec<LockOp> {
        match state {
            LockState::Neutral if has_device => vec![LockOp::Arm, LockOp::LockCurrent],
            LockState::Neutral => vec![LockOp::Arm],
            LockState::Armed | LockState::Locked => vec![LockOp::Release],
            LockState::Differed => vec![LockOp::Accept, LockOp::Release],
        }
    }
}

/// A SIM's binding: its state, the bound device, and the other device seen (when differed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    pub state: LockState,
    pub bound: Option<String>,
    pub seen: Option<String>,
}

/// The device part of an IMEI or IMEISV: 14 or more digits, compared on the first 14.
pub fn device(imei: &str) -> Option<&str> {
    (imei.len() >= 14 && imei.len() <= 16 && imei.bytes().all(|b| b.is_ascii_digit())).then(|| &imei[..14])
}

/// The binding after the network saw the SIM in device `seen`; `None` when nothing changes.
pub fn on_device(b: &Binding, seen: &str) -> Option<Binding> {
    let same = |bound: &Option<String>| bound.as_deref().and_then(device) == device(seen);
    match b.state {
        LockState::Armed => Some(Binding { state: LockState::Locked, bound: Some(seen.to_string()), seen: None }),
        LockState::Locked if !same(&b.bound) => {
            Some(Binding { state: LockState::Differed, bound: b.bound.clone(), seen: Some(seen.to_string()) })
        }
        // Neutral has nothing to compare; a differed SIM waits for a person.
        _ => None,
    }
}

/// The binding after a person's operation (`current`: the device the SIM is in now); `None`
/// when the operation is not open in this state.
pub fn on_op(b: &Binding, op: LockOp, current: Option<&str>) -> Option<Binding> {
    if !LockOp::open(b.state, current.is_some()).contains(&op) {
        return None;
    }
    Some(match op {
        LockOp::Arm => Binding { state: LockState::Armed, bound: None, seen: None },
        LockOp::LockCurrent => Binding { state: LockState::Locked, bound: current.map(str::to_string), seen: None },
        LockOp::Accept => Binding { state: LockState::Locked, bound: b.seen.clone(), seen: None },
        LockOp::Release => Binding { state: LockState::Neutral, bound: None, seen: None },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(state: LockState, bound: Option<&str>) -> Binding {
        Binding { state, bound: bound.map(str::to_string), seen: None }
    }

    const PHONE: &str = "490154203237518";
    const PHONE_SV: &str = "4901542032375101";
    const OTHER: &str = "356938035643809";

    #[test]
    fn the_binding_follows_the_devices_seen() {
        assert_eq!(on_device(&b(LockState::Neutral, None), PHONE), None, "neutral binds nothing");
        let locked = on_device(&b(LockState::Armed, None), PHONE).unwrap();
        assert_eq!(locked, b(LockState::Locked, Some(PHONE)), "armed binds the next device");
        assert_eq!(on_device(&locked, PHONE), None);
        assert_eq!(on_device(&locked, PHONE_SV), None, "the IMEISV of the same device");
        let differed = on_device(&locked, OTHER).unwrap();
        assert_eq!((differed.state, differed.seen.as_deref()), (LockState::Differed, Some(OTHER)));
        assert_eq!(on_device(&differed, PHONE), None, "a differed SIM waits for a person");
    }

    #[test]
    fn people_arm_lock_accept_and_release() {
        let differed = Binding { state: LockState::Differed, bound: Some(PHONE.into()), seen: Some(OTHER.into()) };
        assert_eq!(on_op(&differed, LockOp::Accept, Some(OTHER)), Some(b(LockState::Locked, Some(OTHER))));
        assert_eq!(on_op(&differed, LockOp::Release, None), Some(b(LockState::Neutral, None)));
        assert_eq!(on_op(&b(LockState::Neutral, None), LockOp::Arm, None), Some(b(LockState::Armed, None)));
        assert_eq!(
            on_op(&b(LockState::Neutral, None), LockOp::LockCurrent, Some(PHONE)),
            Some(b(LockState::Locked, Some(PHONE)))
        );
        assert_eq!(on_op(&b(LockState::Neutral, None), LockOp::LockCurrent, None), None, "no device to lock to");
        assert_eq!(on_op(&b(LockState::Locked, Some(PHONE)), LockOp::Accept, None), None);
        assert_eq!(device("12345"), None);
    }
}

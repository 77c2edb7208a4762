//! One SIM of the demo with everything it implies: identifiers, status, and its days of CDRs,
//! EDRs and usage.
use super::*;

pub(super) struct CdrGen {
    pub(super) seq: u64,
    pub(super) kind: &'static str,
    pub(super) started_at: i64,
    pub(super) ended_at: i64,
    pub(super) bytes_up: i64,
    pub(super) bytes_down: i64,
    pub(super) units: i64,
    pub(super) mcc_mnc: &'static str,
    pub(super) rat: &'static str,
}

pub(super) struct EdrGen {
    pub(super) seq: u64,
    pub(super) kind: &'static str,
    pub(super) at: i64,
    pub(super) mcc_mnc: Option<&'static str>,
    pub(super) details: String,
}

pub(super) struct DayGen {
    pub(super) day: i64,
    pub(super) data_bytes: i64,
    pub(super) sms: i64,
    pub(super) voice_seconds: i64,
    pub(super) sessions: i64,
}

pub(super) struct LastSession {
    pub(super) at: i64,
    pub(super) country: &'static str,
    pub(super) mcc_mnc: &'static str,
    pub(super) rat: &'static str,
}

pub(super) struct SimGen {
    pub(super) id: i64,
    pub(super) iccid: String,
    pub(super) imsi: String,
    pub(super) msisdn: String,
    pub(super) imei: Option<String>,
    pub(super) eid: Option<String>,
    pub(super) label: String,
    pub(super) status: SimStatus,
    pub(super) customer_id: i64,
    pub(super) service_id: Option<i64>,
    pub(super) activated_at: Option<i64>,
    pub(super) created_at: i64,
    pub(super) last: Option<LastSession>,
    pub(super) cdrs: Vec<CdrGen>,
    pub(super) edrs: Vec<EdrGen>,
    pub(super) days: Vec<DayGen>,
}

pub(super) struct UsageGen {
    pub(super) cdr_seq: u64,
    pub(super) edr_seq: u64,
}

fn with_luhn(payload: String) -> String {
    let d = luhn_check_digit(&payload);
    format!("{payload}{d}")
}

impl UsageGen {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn sim(
        &mut self,
        r: &mut Rng,
        id: i64,
        n: u64,
        c: &Customer,
        first_day: i64,
        today: i64,
        now: i64,
    ) -> SimGen {
        let is_inventory = c.id == 1;
        let status = if is_inventory {
            if r.chance(0.1) { SimStatus::TestReady } else { SimStatus::Inventory }
        } else {
            let x = r.f64();
            match x {
                x if x < 0.78 => SimStatus::Activated,
                x if x < 0.83 => SimStatus::Suspended,
                x if x < 0.86 => SimStatus::TestReady,
                x if x < 0.97 => SimStatus::Deactivated,
                _ => SimStatus::Retired,
            }
        };
        let class = c.classes[(r.next_u64() % 3).min(1) as usize];
        let iccid = with_luhn(format!("8988247{id:011}"));
        let imsi = format!("90170{id:010}");
        let msisdn = format!("+88235{id:09}");
        let eid = r.chance(0.3).then(|| {
            app::ids::Eid::with_check_digits(&format!("89049032{id:022}")).map(String::from).unwrap_or_default()
        });
        let created_at = now - r.range(200, 700) as i64 * SECONDS_PER_DAY;
        let used =
            matches!(status, SimStatus::Activated | SimStatus::Suspended | SimStatus::Deactivated | SimStatus::Retired);
        let activated_day = if used {
            // Most SIMs were live before the window; some were activated during it.
            if r.chance(0.85) {
                first_day - r.range(1, 300) as i64
            } else {
                first_day + r.range(0, (today - first_day).max(1) as u64) as i64
            }
        } else {
            i64::MAX
        };
        let end_day = match status {
            SimStatus::Activated => today,
            SimStatus::Suspended | SimStatus::Deactivated => {
                let d = today - r.range(1, 120) as i64;
                d.max(activated_day)
            }
            SimStatus::Retired => first_day - r.range(1, 100) as i64,
            _ => i64::MIN,
        };
        let imei = (used && r.chance(0.92)).then(|| with_luhn(format!("{}{:06}", class.tac(), r.range(0, 1_000_000))));
        let country = &COUNTRIES[c.country];
        let roams = r.chance(0.12);
        let roam_country = &COUNTRIES[r.range(0, COUNTRIES.len() as u64) as usize];
        let rats = class.rats();
        let rat = *r.pick(rats);
        let service_id = if c.services.is_empty() { None } else { Some(r.pick(&c.services).0) };

        let mut sim = SimGen {
            id,
            iccid,
            imsi,
            msisdn,
            imei,
            eid,
            label: format!("{}-{:05}", class.label(), n + 1),
            status,
            customer_id: c.id,
            service_id,
            activated_at: used.then(|| activated_day * SECONDS_PER_DAY + r.range(28_800, 64_800) as i64),
            created_at,
            last: None,
            cdrs: Vec::new(),
            edrs: Vec::new(),
            days: Vec::new(),
        };
        if let Some(at) = sim.activated_at.filter(|_| activated_day >= first_day) {
            self.edr(&mut sim, "status_change", at, None, "inventory -> activated".into());
        }
        let from = first_day.max(activated_day);
        let to = end_day.min(today);
        let mut attached = false;
        for day in from..=to {
            let p = class.p_active();
            if !r.chance(p) {
                continue;
            }
            let (net, net_country) = if roams && r.chance(0.3) {
                (*r.pick(roam_country.networks), roam_country.code)
            } else {
                (*r.pick(country.networks), country.code)
            };
            let day_start = day * SECONDS_PER_DAY;
            let latest = if day == today { (now - day_start).clamp(60, SECONDS_PER_DAY) } else { SECONDS_PER_DAY };
            let dur = r.range(20, class.max_session_secs()) as i64;
            let start = day_start + r.range(0, (latest - dur.min(latest - 1)).max(1) as u64) as i64;
            let total = r.log_uniform(class.bytes_lo(), class.bytes_hi()) as i64;
            let up = total * r.range(15, 45) as i64 / 100;
            if !attached || r.chance(0.03) {
                self.edr(&mut sim, "attach", start - 2, Some(net), format!("rat={rat}"));
                self.edr(&mut sim, "pdp_context_create", start - 1, Some(net), "apn=iot.orbit".into());
                attached = true;
            }
            if net_country != country.code && r.chance(0.5) {
                self.edr(&mut sim, "location_update", start - 1, Some(net), format!("country={net_country}"));
            }
            self.cdr(&mut sim, "data", start, start + dur, up, total - up, 0, net, rat);
            sim.last = Some(LastSession { at: start + dur, country: net_country, mcc_mnc: net, rat });
            let mut d = DayGen { day, data_bytes: total, sms: 0, voice_seconds: 0, sessions: 1 };
            if r.chance(class.p_sms()) {
                let kind = if r.chance(0.6) { "sms_mo" } else { "sms_mt" };
                let at = day_start + r.range(0, latest as u64) as i64;
                self.cdr(&mut sim, kind, at, at, 0, 0, 1, net, rat);
                d.sms += 1;
            }
            if r.chance(class.p_voice()) {
                let kind = if r.chance(0.5) { "voice_mo" } else { "voice_mt" };
                let secs = r.range(10, 600) as i64;
                let at = day_start + r.range(0, (latest - secs).max(1) as u64) as i64;
                self.cdr(&mut sim, kind, at, at + secs, 0, 0, secs, net, rat);
                d.voice_seconds += secs;
            }
            sim.days.push(d);
        }
        if sim.imei.is_some() && r.chance(0.01) && to >= from {
            let at = (from + (to - from) / 2) * SECONDS_PER_DAY + 43_200;
            self.edr(&mut sim, "imei_change", at, None, "device swapped".into());
        }
        if matches!(status, SimStatus::Suspended | SimStatus::Deactivated) && end_day >= first_day {
            let at = (end_day * SECONDS_PER_DAY + 72_000).min(now);
            self.edr(&mut sim, "pdp_context_delete", at - 2, None, "apn=iot.orbit".into());
            self.edr(&mut sim, "detach", at - 1, None, "network initiated".into());
            self.edr(&mut sim, "status_change", at, None, format!("activated -> {}", status.code()));
        }
        sim.edrs.sort_by_key(|e| e.at);
        sim
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn cdr(
        &mut self,
        sim: &mut SimGen,
        kind: &'static str,
        s: i64,
        e: i64,
        up: i64,
        down: i64,
        units: i64,
        net: &'static str,
        rat: &'static str,
    ) {
        self.cdr_seq += 1;
        sim.cdrs.push(CdrGen {
            seq: self.cdr_seq,
            kind,
            started_at: s,
            ended_at: e,
            bytes_up: up,
            bytes_down: down,
            units,
            mcc_mnc: net,
            rat,
        });
    }

    pub(super) fn edr(
        &mut self,
        sim: &mut SimGen,
        kind: &'static str,
        at: i64,
        net: Option<&'static str>,
        details: String,
    ) {
        self.edr_seq += 1;
        sim.edrs.push(EdrGen { seq: self.edr_seq, kind, at, mcc_mnc: net, details });
    }
}

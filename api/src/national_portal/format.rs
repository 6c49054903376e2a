//! A change in the portal's format: PascalCase Vietnamese field names,
//! `TrangThaiHoSo` 1–10, instants as `yyyyMMddHHmmss` in Vietnam time, and
//! the progress row of the step (QuaTrinhXuLy).

use chrono::DateTime;
use serde_json::{json, Value};

use crate::time::vietnam;

/// `2026-03-05T14:00:00+07:00` → `20260305140000` (Vietnam time).
pub fn portal_instant(v: &Value) -> Value {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map_or(Value::Null, |t| Value::from(t.with_timezone(&vietnam()).format("%Y%m%d%H%M%S").to_string()))
}

/// The portal's channel codes: 1 in person, 2 online, 3 postal.
fn channel_code(channel: &str) -> u8 {
    match channel {
        "in_person" => 1,
        "postal" => 3,
        _ => 2,
    }
}

/// The message for change `seq` whose event is `e` (see `dvc_persistence::changes`).
/// `MaThayDoi` identifies the change, so that the portal can drop a repeat.
pub fn message(seq: i64, e: &Value) -> Value {
    let step = &e["step"];
    json!({
        "MaThayDoi": seq,
        "MaHoSo": e["code"],
        "MaHoSoQuocGia": e["external_code"],
        "MaTTHC": e["procedure_code"],
        "TrangThaiHoSo": e["status_code"],
        "KenhThucHien": channel_code(e["channel"].as_str().unwrap_or_default()),
        "MaDonViTiepNhan": e["receiving_agency"],
        "MaDonViXuLy": e["handling_agency"],
        "ChuHoSo": e["applicant_name"],
        "SoGiayToChuHoSo": e["applicant_id"],
        "TrichYeuHoSo": e["summary"],
        "NgayNopHoSo": portal_instant(&e["submitted_at"]),
        "NgayTiepNhan": portal_instant(&e["received_at"]),
        "NgayHenTra": portal_instant(if e["promised_at"].is_null() { &e["due_at"] } else { &e["promised_at"] }),
        "NgayHetHanTheoQuyDinh": portal_instant(&e["due_at"]),
        "NgayKetThucXuLy": portal_instant(&e["resolved_at"]),
        "NgayTraKetQua": portal_instant(&e["returned_at"]),
        "KetQuaXuLy": e["outcome"],
        // The applicant's reply deadline while a supplement is awaited.
        "HanBoSungHoSo": portal_instant(&e["reply_by"]),
        "QuaTrinhXuLy": [{
            "MaTrangThai": e["status_code"],
            "BuocXuLy": step["action"],
            "NguoiXuLy": step["actor_name"],
            "MaNguoiXuLy": step["actor_id"],
            "ChucDanh": step["actor_role"],
            "PhongBanXuLy": step["actor_agency"],
            "ThoiDiemXuLy": portal_instant(&step["at"]),
            "NoiDungXuLy": step["note"],
            "HanXuLy": portal_instant(&step["step_deadline"]),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_vietnam_time_without_separators() {
        assert_eq!(portal_instant(&json!("2026-03-05T07:00:00Z")), json!("20260305140000"));
        assert_eq!(portal_instant(&json!(null)), Value::Null);
    }

    #[test]
    fn a_message_carries_the_portal_fields() {
        let e = json!({"code": "000.00.05.H56-260305-0001", "external_code": null, "procedure_code": "2.001610", "status_code": 2,
            "channel": "online", "receiving_agency": "000.00.05.H56", "handling_agency": "000.00.05.H56",
            "applicant_name": "An", "applicant_id": "001099012345", "summary": "x",
            "submitted_at": "2026-03-05T08:00:00+07:00", "received_at": "2026-03-05T09:00:00+07:00", "due_at": "2026-03-12T09:00:00+07:00",
            "promised_at": null, "resolved_at": null, "returned_at": null, "outcome": null,
            "step": {"action": "receive", "actor_name": "Bình", "actor_id": "o1", "actor_role": "officer", "actor_agency": "000.00.05.H56",
                     "at": "2026-03-05T09:00:00+07:00", "note": null, "step_deadline": null}});
        let m = message(7, &e);
        assert_eq!(m["MaThayDoi"], 7);
        assert_eq!(m["TrangThaiHoSo"], 2);
        assert_eq!(m["KenhThucHien"], 2);
        assert_eq!(m["NgayTiepNhan"], "20260305090000");
        assert_eq!(m["NgayHenTra"], "20260312090000");
        assert_eq!(m["QuaTrinhXuLy"][0]["NguoiXuLy"], "Bình");
    }
}

"""rhIGF-1 (mecasermin): its dosing descriptor.

IGF-1's pharmacokinetics (SC and IP depots, free and IGFBP-bound IGF-1 sharing the binding sites with
IGF-II, Mizuno 2001; BRIEF 4) and its receptor pharmacodynamics are the model's original core and are
written in :mod:`tregsim.model.definition`; this module says how protocols dose them.
"""

from __future__ import annotations

from tregsim.model.drugs import Drug

DRUG = Drug(
    name="igf1",
    label="rhIGF-1 (mecasermin)",
    routes=("sc", "iv", "ip", "minipump"),
    bolus_state={"sc": "igf1_depot_sc", "ip": "igf1_depot_ip", "iv": "igf1_free"},
    infusion_input={"minipump": "rate_igf1_sc", "iv": "rate_igf1_iv"},
    bioavailability={"sc": "F_sc", "minipump": "F_sc", "ip": "F_ip"},
    concentration_column="igf1_total_ng_ml",
    body_states=("igf1_depot_sc", "igf1_depot_ip", "igf1_free", "igf1_bound", "igf1_tissue"),
    eliminated_state="igf1_eliminated",
)

"""Identifiers.org annotations of the exported model: what each state and receptor parameter *is*.

Each identifier was checked (2026-11) against stored copies of its registry's entry or of pages that cite
it (Cell Ontology mapping tables, UniProtKB/Swiss-Prot entries and gene infoboxes, ChEBI web-service
answers, NCBI Taxonomy ids in UniProt XML, Disease Ontology); the label is given beside it so a reader can
check it again.  One is weaker: mouse IGF1 P05017 was seen only as a Swiss-Prot cross-reference next to
human P05019, not as its own entry.  EAE has no EFO/MONDO term we could confirm, so the model is
annotated with multiple sclerosis (DOID:2377) only.
"""

from __future__ import annotations

#: species -> (NCBI Taxonomy id, label)
TAXON = {"mouse": ("10090", "Mus musculus"), "human": ("9606", "Homo sapiens")}

#: protein -> species -> (UniProtKB accession, entry label)
UNIPROT: dict[str, dict[str, tuple[str, str]]] = {
    "IGF1": {"human": ("P05019", "IGF1_HUMAN Insulin-like growth factor I"),
             "mouse": ("P05017", "IGF1_MOUSE Insulin-like growth factor I")},
    "IGF2": {"human": ("P01344", "IGF2_HUMAN Insulin-like growth factor II"),
             "mouse": ("P09535", "IGF2_MOUSE Insulin-like growth factor II")},
    "IGFBP3": {"human": ("P17936", "IBP3_HUMAN Insulin-like growth factor-binding protein 3"),
               "mouse": ("P47878", "IBP3_MOUSE Insulin-like growth factor-binding protein 3")},
    "IGF1R": {"human": ("P08069", "IGF1R_HUMAN Insulin-like growth factor 1 receptor"),
              "mouse": ("Q60751", "IGF1R_MOUSE Insulin-like growth factor 1 receptor")},
}

#: Aldesleukin is recombinant *human* IL-2 whatever the species dosed: IL2_HUMAN (UniProtKB P60568, as listed
#: in BRIEF 8; not re-checked against a stored registry entry like the others).
IL2_HUMAN = ("P60568", "IL2_HUMAN Interleukin-2")

#: Cell Ontology terms
CELL = {"treg": ("CL:0000815", "regulatory T cell"), "teff": ("CL:0000911", "effector T cell")}
#: ChEBI glucose
GLUCOSE = ("CHEBI:17234", "glucose")
#: Disease Ontology: multiple sclerosis (RRMS, and EAE as its model)
MS = ("DOID:2377", "multiple sclerosis")


def uri(prefix_id: str) -> str:
    """identifiers.org URI of a CURIE such as ``CL:0000815`` or ``uniprot:P05019``."""
    return f"https://identifiers.org/{prefix_id}"


def state_terms(state: str, species: str) -> list[tuple[str, str]]:
    """(biology qualifier, URI) pairs for one state: ``is`` for what it is, ``hasPart`` for a complex."""
    def prot(name: str) -> str:
        return uri(f"uniprot:{UNIPROT[name][species][0]}")

    if state.startswith("treg_"):
        return [("is", uri(CELL["treg"][0]))]
    if state.startswith("teff_"):
        return [("is", uri(CELL["teff"][0]))]
    if state in ("igf1_depot_sc", "igf1_depot_ip", "igf1_free", "igf1_eliminated"):
        return [("is", prot("IGF1"))]
    if state == "igf1_bound":
        return [("hasPart", prot("IGF1")), ("hasPart", prot("IGFBP3"))]
    if state == "igf2_free":
        return [("is", prot("IGF2"))]
    if state == "igf2_bound":
        return [("hasPart", prot("IGF2")), ("hasPart", prot("IGFBP3"))]
    if state == "glucose":
        return [("is", uri(GLUCOSE[0]))]
    if state in ("il2_depot_sc", "il2_transit", "il2_plasma", "il2_eliminated"):
        return [("is", uri(f"uniprot:{IL2_HUMAN[0]}"))]
    return []


#: parameters of IGF1R signalling (the receptor they describe)
RECEPTOR_PARAMETERS = ("EC50_treg", "Emax_treg", "EC50_teff", "Emax_teff", "Emax_teff_prolif",
                       "ko_treg_igf1r", "ko_teff_igf1r")

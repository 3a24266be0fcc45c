"""ICD-10-CM diagnosis review: the claim's diagnosis codes against the code set and the note.

- ``codeset``: the CMS code set (simple-icd-10-cm, imported only when a review runs);
- ``mapping``: the strict schemas and loaders of patterns/diagnoses.yaml and the coverage lists;
- ``extract``: diagnosis mentions of the note with region, level, laterality and assertion;
- ``suggest``: mentions -> the codes the documentation supports (outpatient rules);
- ``support``: each billed code checked (valid, billable, supported, more specific, conflicting);
- ``review``: the ``DiagnosisReview`` of one note, its code-review findings and query drafts.
"""

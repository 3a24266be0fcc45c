"""The ``docanalyzer`` spaCy component: from a Doc to a ``Report`` in ``doc._.docanalyzer_report``.

It brings its own medspaCy sub-components (target matcher, ConText, sectionizer), writing to its
own span group, so it can be added to someone else's pipeline without touching ``doc.ents``.
"""


from collections.abc import Iterable
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from docanalyzer.assemble import AUTO, build_report
from docanalyzer.checklist import load_checklist
from docanalyzer.diagnosis.review import DxSettings
from docanalyzer.pipeline.build import (
    build_context,
    build_sectionizer,
    build_target_matcher,
    quiet_third_party_logs,
)
from docanalyzer.pipeline.sentences import set_line_sentences, start_sentences_at_sections
from docanalyzer.report import InputInfo, Report
from docanalyzer.resolve.mentions import build_view
from docanalyzer.resources import pattern_file
from docanalyzer.rule_files import PIPELINE_RULE_FILES, RuleSet, load_rules
from docanalyzer.schemas import ChecklistSpec

REPORT_ATTR = "docanalyzer_report"
if not Doc.has_extension(REPORT_ATTR):
    Doc.set_extension(REPORT_ATTR, default=None)


class DocAnalyzerComponent:
    """Runs targets, ConText and sections, then resolves elements and scores the checklist."""

    def __init__(self, nlp: Language, name: str = "docanalyzer", *, checklist: str = "62304") -> None:
        quiet_third_party_logs()
        self.nlp = nlp
        self.name = name
        self.checklist: ChecklistSpec | None = None if checklist == AUTO else load_checklist(checklist)
        self._build(load_rules(nlp.vocab), source=None)

    def _build(self, rules: RuleSet, source: Path | None) -> None:
        """(Re)build the sub-components from validated rules; ``source`` is the folder they came
        from (None: the shipped ``patterns/``)."""
        self.rules, self.rules_source = rules, source
        self.target_matcher = build_target_matcher(self.nlp, rules, f"{self.name}_targets")
        self.context = build_context(self.nlp, rules, f"{self.name}_context")
        self.sectionizer = build_sectionizer(self.nlp, rules, f"{self.name}_sections")

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save the rule files the component runs on with the pipeline (``nlp.to_disk``), as spaCy's
        span_ruler saves its patterns: a saved pipeline keeps its rules even if the package changes."""
        folder = Path(path)
        for relative in PIPELINE_RULE_FILES:
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            origin = self.rules_source / relative if self.rules_source else pattern_file(*relative.split("/"))
            target.write_bytes(origin.read_bytes())

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> "DocAnalyzerComponent":
        """Load the rule files saved by ``to_disk`` (validated like the shipped ones: a broken file
        raises ``RuleFileError`` naming its file, field and line)."""
        folder = Path(path)
        self._build(load_rules(self.nlp.vocab, base=folder), source=folder)
        return self

    def __call__(self, doc: Doc) -> Doc:
        self.annotate(doc)
        doc._.set(REPORT_ATTR, self.report(doc))
        return doc

    def annotate(self, doc: Doc) -> Doc:
        """Sentences (unless the host pipeline set them), sections (whose headers start sentences),
        targets, ConText."""
        if not doc.has_annotation("SENT_START"):
            set_line_sentences(doc)
        self.sectionizer(doc)
        start_sentences_at_sections(doc)
        self.target_matcher(doc)
        self.context(doc)
        return doc

    def report(
        self,
        doc: Doc,
        *,
        document_id: str = "doc",
        checklist: ChecklistSpec | None = None,
        billed_code: str | None = None,
        input_info: InputInfo | None = None,
        billed_dx: list[str] | None = None,
        dx: DxSettings | None = None,
    ) -> Report:
        return build_report(
            build_view(doc),
            checklist or self.checklist,
            document_id=document_id,
            billed_code=billed_code,
            input_info=input_info or InputInfo(chars=len(doc.text)),
            billed_dx=billed_dx,
            dx=dx,
        )


@Language.factory(
    "docanalyzer",
    default_config={"checklist": "auto"},
    # (sentence starts are read when a pipeline set them, else set here: nothing is required)
    requires=[],
    assigns=["doc._.docanalyzer_report", "doc.spans", "token.is_sent_start"],
)
def make_docanalyzer(nlp: Language, name: str, checklist: str) -> DocAnalyzerComponent:
    """spaCy factory: ``nlp.add_pipe("docanalyzer", config={"checklist": "auto"})`` ("auto" audits
    against the checklist of the code the documentation supports; or give a checklist id/file)."""
    return DocAnalyzerComponent(nlp, name, checklist=checklist)

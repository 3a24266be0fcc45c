"""Integrations with systems outside Python's process: Apache Spark (``docanalyzer[spark]``) and
HL7 FHIR R4 (``docanalyzer[fhir]``).

Each submodule imports its third-party library only when it is used, so ``import docanalyzer``
never needs an extra.
"""

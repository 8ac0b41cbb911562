"""The candidate-directory proposer: candidates written elsewhere, by hand or by another system."""

from __future__ import annotations

from pathlib import Path

from agents.budget import Usage
from agents.proposers import Proposal, ProposalRequest
from tasks.model import KernelTask
from verifiers import Candidate

SOURCE_SUFFIXES = (".cpp", ".cc", ".cxx", ".c++")


class DirectoryProposer:
    """Hands out the sources of a directory once each, in name order."""

    name = "directory"

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise NotADirectoryError(f"candidate directory {directory} does not exist")
        self.files = sorted(p for p in directory.iterdir() if p.suffix in SOURCE_SUFFIXES and p.is_file())
        if not self.files:
            raise FileNotFoundError(f"no C++ sources ({', '.join(SOURCE_SUFFIXES)}) in {directory}")

    def plan(self, task: KernelTask, count: int) -> tuple[list[str], Usage]:
        """Candidates from a directory follow no plan."""
        return [], Usage()

    def propose(self, request: ProposalRequest) -> list[Proposal]:
        """The files from index ``request.sample * request.count`` on (empty when all are handed out)."""
        start = request.sample * request.count
        chosen = self.files[start : start + request.count]
        return [Proposal(candidate=Candidate(source=path.read_text(), origin=str(path))) for path in chosen]

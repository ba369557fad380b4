"""The unit of work: one transaction, the repositories that share it, commit or roll back."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from . import repositories as r
from .documents import DocumentRepository
from .database import writer_lock


class UnitOfWork:
    def __init__(self, sessions: sessionmaker, serialise: bool = False):
        """`serialise`: on SQLite, wait for the other serialised units of work first (the web
        app's requests, in this process and in other workers; see database.WriterLock)."""
        self._sessions = sessions
        self._serialise = serialise

    def __enter__(self) -> UnitOfWork:
        self._lock = writer_lock(self._sessions.kw["bind"]) if self._serialise else None
        if self._lock:
            self._lock.acquire()
        self.db = self._sessions()
        self.patients = r.PatientRepository(self.db)
        self.records = r.RecordRepository(self.db)
        self.access = r.AccessRepository(self.db)
        self.audit = r.AuditRepository(self.db)
        self.users = r.UserRepository(self.db)
        self.teams = r.TeamRepository(self.db)
        self.carers = r.CarerRepository(self.db)
        self.invitations = r.InvitationRepository(self.db)
        self.sessions = r.SessionRepository(self.db)
        self.sign_ins = r.SignInRepository(self.db)
        self.alerts = r.AlertRepository(self.db)
        self.check_in_drafts = r.CheckInDraftRepository(self.db)
        self.notifications = r.NotificationRepository(self.db)
        self.documents = DocumentRepository(self.db)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.db.rollback()  # whatever was not committed is undone, whole
            self.db.close()
        finally:
            if self._lock:
                self._lock.release()

    def commit(self) -> None:
        self.db.commit()

    def rollback(self) -> None:
        self.db.rollback()

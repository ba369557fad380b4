"""The unit of work: one transaction, the repositories that share it, commit or roll back."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from . import outbox
from . import repositories as r
from .caseload import CaseloadRepository
from .documents import DocumentRepository
from .message_repository import MessageRepository
from .dose_diary import DoseDiaryRepository
from .trial_repository import TrialRepository
from .database import TURN, writer_queue


class UnitOfWork:
    def __init__(self, sessions: sessionmaker, serialise: bool = False):
        """`serialise`: on SQLite, queue behind the other serialised units of work (the web
        app's requests, in this process and, from the first write, in other workers; see
        database.WriterQueue)."""
        self._sessions = sessions
        self._serialise = serialise

    def __enter__(self) -> UnitOfWork:
        engine = self._sessions.kw["bind"]
        self._queue = writer_queue(engine) if self._serialise else None
        self._turn, self._connection = None, None
        if self._queue:
            self._queue.threads.acquire()
            self._turn = self._queue.turn()
        try:
            if self._turn:
                # One connection for the whole unit of work, so each of its writes finds the turn.
                self._connection = engine.connect()
                self._connection.info[TURN] = self._turn
            self.db = self._sessions(bind=self._connection) if self._connection else self._sessions()
        except BaseException:
            self._leave_queue()
            raise
        self.patients = r.PatientRepository(self.db)
        self.caseload = CaseloadRepository(self.db)
        self.records = r.RecordRepository(self.db)
        self.access = r.AccessRepository(self.db)
        self.audit = r.AuditRepository(self.db)
        self.users = r.UserRepository(self.db)
        self.teams = r.TeamRepository(self.db)
        self.identities = r.IdentityRepository(self.db)
        self.carers = r.CarerRepository(self.db)
        self.invitations = r.InvitationRepository(self.db)
        self.sessions = r.SessionRepository(self.db)
        self.sign_ins = r.SignInRepository(self.db)
        self.account_tokens = r.AccountTokenRepository(self.db)
        self.recovery_codes = r.RecoveryCodeRepository(self.db)
        self.alerts = r.AlertRepository(self.db)
        self.check_in_drafts = r.CheckInDraftRepository(self.db)
        self.result_sharing = r.ResultSharingRepository(self.db)
        self.notifications = r.NotificationRepository(self.db)
        self.documents = DocumentRepository(self.db)
        self.trials = TrialRepository(self.db)
        self.messages = MessageRepository(self.db)
        self.dose_diary = DoseDiaryRepository(self.db)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.db.rollback()  # whatever was not committed is undone, whole
            self.db.close()
            if self._connection is not None:
                del self._connection.info[TURN]  # the connection goes back to the pool without it
                self._connection.close()
        finally:
            self._leave_queue()

    def _leave_queue(self) -> None:
        try:
            if self._turn:
                self._turn.give_back()
        finally:
            if self._queue:
                self._queue.threads.release()

    def commit(self) -> None:
        self.audit.flush()
        self.db.commit()
        if self._turn:
            self._turn.give_back()  # the next writer may go while this request writes its answer
        if self.notifications.queued:
            # After the commit, not before: a sender woken earlier would not yet see the message.
            self.notifications.queued = False
            outbox.bell(self._sessions.kw["bind"]).ring()

    def rollback(self) -> None:
        self.audit.discard()
        self.notifications.queued = False
        self.db.rollback()
        if self._turn:
            self._turn.give_back()

"""One settings object, filled from AREACLIENTI_* variables and CLI flags."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from areaclienti_tui.paths import data_file, default_user_dir

MfaPolicy = Literal["always", "new_device", "never"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AREACLIENTI_", extra="ignore")

    db: str | None = Field(default=None, description="URL del database; predefinito SQLite nella cartella dati")
    data_dir: Path = Field(default_factory=default_user_dir)
    demo: bool = Field(default=True, description="carica le persone demo in un database nuovo")

    bcrypt_rounds: int = Field(default=12, ge=4, le=16)
    code_ttl_seconds: int = Field(default=300, ge=30, le=600, description="validità dei codici, mai oltre 10 minuti")
    code_max_attempts: int = 5
    resend_cooldown_seconds: int = 30
    max_resends: int = 3
    login_max_failures: int = 5
    lockout_base_seconds: int = 60
    lockout_max_seconds: int = 900
    mfa_policy: MfaPolicy = "new_device"

    kiosk: bool = False
    idle_timeout_seconds: int = 300

    pec_domains_file: Path = Field(default_factory=lambda: data_file("pec_domains.txt"))
    privacy_file: Path = Field(default_factory=lambda: data_file("privacy.md"))
    personas_file: Path = Field(default_factory=lambda: data_file("personas.csv"))

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_sender: str = "Generali Area Clienti <noreply@areaclienti.invalid>"

    @property
    def database_url(self) -> str:
        if self.db:
            return self.db
        return f"sqlite:///{self.data_dir / 'areaclienti.db'}"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documenti"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "areaclienti.log"

    @property
    def device_file(self) -> Path:
        return self.data_dir / "device-id"

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

    # Limits across flows, consoles and processes (SPEC §4), counted in the database.
    code_failures_per_hour: int = Field(default=20, ge=1, description="codici errati per account in un'ora, poi blocco")
    codes_per_destination: int = Field(default=10, ge=1, description="codici inviati a un recapito nella finestra")
    codes_destination_window_seconds: int = Field(default=900, ge=60)

    upload_dir: Path | None = Field(default=None, description="cartella dei caricamenti; predefinita caricamenti/ accanto ai dati")
    key_file: Path | None = Field(default=None, description="chiave dei codici; predefinita chiave-codici nella cartella dati")
    image_max_pixels: int = Field(default=40_000_000, ge=1, description="pixel massimi di un'immagine caricata")

    kiosk: bool = False
    seat_status_file: Path | None = Field(default=None, description="aula: file di stato del posto letto dalla bacheca del formatore")
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
    def uploads_dir(self) -> Path:
        return self.upload_dir if self.upload_dir is not None else self.data_dir / "caricamenti"

    @property
    def secret_file(self) -> Path:
        """The key of the code hashes, kept outside the database (mode 0600)."""
        return self.key_file if self.key_file is not None else self.data_dir / "chiave-codici"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "areaclienti.log"

    @property
    def device_file(self) -> Path:
        return self.data_dir / "device-id"

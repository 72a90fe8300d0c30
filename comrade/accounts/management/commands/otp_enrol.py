"""Enrol a staff user's authenticator app: prints the otpauth:// URI to add by hand (or to turn
into a QR code elsewhere). Run it on the operator's shell; the secret is shown once."""

from django.core.management.base import BaseCommand, CommandError

from comrade.accounts.models import User
from comrade.accounts.otp import otp_enrol


class Command(BaseCommand):
    help = "Give a staff user a TOTP device and print its otpauth:// URI (and backup codes)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="authenticator", help="device name shown in the admin")
        parser.add_argument("--backup-codes", type=int, default=0, help="also make N single-use backup codes")

    def handle(self, *args, email: str, name: str, backup_codes: int, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with email {email}.")
        if not user.is_staff:
            raise CommandError(f"{user.email} is not staff; two-factor enrolment is for staff.")
        if not 0 <= backup_codes <= 20:
            raise CommandError("--backup-codes must be between 0 and 20.")
        device, codes = otp_enrol(user=user, name=name, backup_codes=backup_codes)
        self.stdout.write(device.config_url)
        for code in codes:
            self.stdout.write(f"backup code: {code}")

from accounts import services
from musicplatform.tasks import platform_task


@platform_task
def verification_tokens_purge() -> int:
    return services.verification_tokens_purge()

"""notify-svc: in-app notifications from task events, kept per unit and streamed live."""

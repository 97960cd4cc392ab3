import { registry } from "@web/core/registry";

/**
 * The call's own user opens the call and plays its recording: the browser reads the whole WAV (two seconds)
 * through the player on the form.
 */
registry.category("web_tour.tours").add("telephony_recording_playback_tour", {
    steps: () => [
        { trigger: ".o_form_view .o_telephony_audio_player" },
        {
            trigger: ".o_form_view .o_telephony_audio_player",
            run() {
                const player = this.anchor;
                player.muted = true;
                player.addEventListener("loadedmetadata", () => {
                    if (Math.abs(player.duration - 2) < 0.1) {
                        player.classList.add("o_telephony_audio_loaded");
                    }
                });
                player.preload = "auto";
                player.load();
            },
        },
        { trigger: ".o_form_view .o_telephony_audio_player.o_telephony_audio_loaded" },
    ],
});

"""What the pages say about the demo: which voices its callers use and how well they are understood."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DemoStatus:
    clips: int = 0  # real speech clips the simulated callers play
    references: int = 0  # of which with a known transcript
    cer: float | None = None  # measured once at start on those clips, 8 kHz as the PBX delivers them
    speech: bool = True  # a speech model is loaded
    measuring: bool = False  # the CER is being measured (just after start)

    @property
    def banner(self) -> str:
        """One line in Chinese for the agent's workspace."""
        if not self.clips:
            return ("演示模式：没有找到真人语音片段，本次演示不模拟语音留言和坐席通话"
                    "（放置录音的位置见服务启动日志）。")
        text = f"演示模式：模拟来电播放 {self.clips} 段真人朗读录音（按电话线路音质送入识别）"
        if not self.speech:
            return text + "；未加载语音识别模型，录音暂不转写。"
        if self.measuring:
            return text + "，正在测量字错率。"
        if self.cer is None:
            return text + "；没有参考文本，未测量字错率。"
        return text + f"，启动时实测字错率 {self.cer:.1%}。"

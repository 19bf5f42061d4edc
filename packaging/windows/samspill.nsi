; Samspill's Windows installer (NSIS), built by .github/workflows/release.yml:
;   makensis /DVERSION=0.1.0 /DEXE=path\to\samspill.exe /DOUT=path\to\samspill-setup.exe samspill.nsi
; Installs for the current user (no administrator rights needed), adds a Start menu
; entry and registers the samspill://, samspill+ws:// and samspill+lan:// links so clicking an invite
; opens the app's join dialog. Not exercised on the development machine (Linux).

Unicode true
!include "MUI2.nsh"

Name "Samspill ${VERSION}"
OutFile "${OUT}"
InstallDir "$LOCALAPPDATA\Programs\Samspill"
RequestExecutionLevel user
SetCompressor /SOLID lzma

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "Norwegian"
!insertmacro MUI_LANGUAGE "English"

!macro RegisterScheme SCHEME
  WriteRegStr HKCU "Software\Classes\${SCHEME}" "" "URL:Samspill invite link"
  WriteRegStr HKCU "Software\Classes\${SCHEME}" "URL Protocol" ""
  WriteRegStr HKCU "Software\Classes\${SCHEME}\DefaultIcon" "" "$INSTDIR\samspill.exe,0"
  WriteRegStr HKCU "Software\Classes\${SCHEME}\shell\open\command" "" '"$INSTDIR\samspill.exe" "%1"'
!macroend

Section "Samspill"
  SetOutPath "$INSTDIR"
  File "/oname=samspill.exe" "${EXE}"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortcut "$SMPROGRAMS\Samspill.lnk" "$INSTDIR\samspill.exe"
  !insertmacro RegisterScheme "samspill"
  !insertmacro RegisterScheme "samspill+ws"
  !insertmacro RegisterScheme "samspill+lan"
  WriteRegStr HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\Samspill" "DisplayName" "Samspill"
  WriteRegStr HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\Samspill" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\Samspill" "UninstallString" '"$INSTDIR\uninstall.exe"'
SectionEnd

; Projects live in the user's data folder (%APPDATA%\Samspill\samspill\data), not here: uninstalling
; keeps them.
Section "Uninstall"
  Delete "$INSTDIR\samspill.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\Samspill.lnk"
  DeleteRegKey HKCU "Software\Classes\samspill"
  DeleteRegKey HKCU "Software\Classes\samspill+ws"
  DeleteRegKey HKCU "Software\Classes\samspill+lan"
  DeleteRegKey HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\Samspill"
SectionEnd
